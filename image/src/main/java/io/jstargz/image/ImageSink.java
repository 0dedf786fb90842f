package io.jstargz.image;

import io.jstargz.remote.BlobContent;
import io.jstargz.remote.Descriptor;
import io.jstargz.remote.Digest;
import io.jstargz.remote.ImageReference;
import io.jstargz.remote.PushOutcome;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Where a converted image goes: an OCI layout or a registry. Blobs first, then manifests, the tagged root last.
 * Thread-safe; {@link #close()} removes the work directory.
 */
public interface ImageSink extends Closeable {

    /** A directory for temporary files; converted blobs written there can be {@linkplain #adoptBlob adopted}. */
    Path workDir() throws IOException;

    /** Makes sure the destination has the blob; {@code mountFrom} is a repository to mount it from, or null. */
    PushOutcome putBlob(Descriptor descriptor, BlobContent content, ImageReference mountFrom) throws IOException;

    /** Stores a blob written in {@link #workDir()} (the file may be moved; the caller deletes it if still there). */
    PushOutcome adoptBlob(Descriptor descriptor, Path file) throws IOException;

    /** Stores a manifest an index points to, under its digest. */
    void putManifest(Descriptor descriptor, byte[] bytes) throws IOException;

    /** Stores the top-level manifest or index under the destination's tag; returns its digest. */
    Digest commit(Descriptor descriptor, byte[] bytes) throws IOException;

    /**
     * Stores a manifest under the destination's tag followed by {@code suffix} (an image beside the image, as the
     * TOC image of external TOCs); returns its digest.
     *
     * @throws IllegalArgumentException if the destination has no tag
     */
    Digest commitBeside(String suffix, Descriptor descriptor, byte[] bytes) throws IOException;
}
