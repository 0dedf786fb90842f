package io.jstargz.image;

import io.jstargz.estargz.RemoteBlob;
import io.jstargz.remote.BlobContent;
import io.jstargz.remote.Descriptor;
import io.jstargz.remote.ImageReference;
import io.jstargz.remote.ManifestContent;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;

/** An image to read: an OCI layout, a {@code docker save} archive or a registry. Thread-safe. */
public interface ImageSource extends Closeable {

    /** The manifest or index the location names. */
    ManifestContent root() throws IOException;

    /** A manifest or index an index points to, checked against its digest. */
    ManifestContent manifest(Descriptor descriptor) throws IOException;

    /** A small blob (a config) in memory, checked against its digest. */
    byte[] readBlob(Descriptor descriptor) throws IOException;

    /**
     * A blob as a stream. Not necessarily checked: callers that need the check read it through
     * {@link io.jstargz.remote.DigestVerifyingInputStream}.
     */
    InputStream openBlob(Descriptor descriptor) throws IOException;

    /** A blob for random access (reading an eStargz footer and TOC, mounting it). */
    RemoteBlob randomAccess(Descriptor descriptor) throws IOException;

    /** A blob as content to copy to a destination, readable from any offset. */
    BlobContent content(Descriptor descriptor) throws IOException;

    /** The registry repository this source reads, for cross-repository mounts; {@code null} if not a registry. */
    default ImageReference repository() {
        return null;
    }
}
