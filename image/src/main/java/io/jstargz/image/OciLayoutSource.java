package io.jstargz.image;

import io.jstargz.estargz.FileBlobSource;
import io.jstargz.estargz.RemoteBlob;
import io.jstargz.remote.BlobContent;
import io.jstargz.remote.Descriptor;
import io.jstargz.remote.ManifestContent;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads an image from an OCI image layout directory. */
final class OciLayoutSource implements ImageSource {
    private final OciLayoutDir layout;
    private final String tag;

    OciLayoutSource(Path dir, String tag) {
        this.layout = new OciLayoutDir(dir);
        this.tag = tag;
    }

    @Override
    public ManifestContent root() throws IOException {
        return manifest(layout.find(tag));
    }

    @Override
    public ManifestContent manifest(Descriptor descriptor) throws IOException {
        return Manifests.content(descriptor, readBlob(descriptor), toString());
    }

    @Override
    public byte[] readBlob(Descriptor descriptor) throws IOException {
        Manifests.checkSmall(descriptor, toString());
        byte[] bytes = Files.readAllBytes(blob(descriptor));
        if (bytes.length != descriptor.size() || !descriptor.digest().matches(bytes)) {
            throw new IOException(this + ": blob " + descriptor.digest() + " does not match its digest or size");
        }
        return bytes;
    }

    @Override
    public InputStream openBlob(Descriptor descriptor) throws IOException {
        return Files.newInputStream(blob(descriptor));
    }

    @Override
    public RemoteBlob randomAccess(Descriptor descriptor) throws IOException {
        return FileBlobSource.open(blob(descriptor));
    }

    @Override
    public BlobContent content(Descriptor descriptor) throws IOException {
        return BlobContent.of(blob(descriptor), descriptor.digest());
    }

    private Path blob(Descriptor descriptor) throws IOException {
        Path p = layout.blob(descriptor.digest());
        if (!Files.isRegularFile(p)) {
            throw new IOException(this + " lacks blob " + descriptor.digest() + " (" + p + ")");
        }
        return p;
    }

    @Override
    public void close() {
    }

    @Override
    public String toString() {
        return "oci:" + layout.dir() + (tag == null ? "" : ":" + tag);
    }
}
