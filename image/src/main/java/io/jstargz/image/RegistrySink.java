package io.jstargz.image;

import io.jstargz.mount.FileTrees;
import io.jstargz.remote.BlobContent;
import io.jstargz.remote.Descriptor;
import io.jstargz.remote.Digest;
import io.jstargz.remote.ImageReference;
import io.jstargz.remote.PushOutcome;
import io.jstargz.remote.RegistryClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Pushes an image to a registry: each blob only if the repository lacks it (HEAD), mounted from the source
 * repository when both are on one registry, else uploaded (chunked above the client's upload chunk size).
 */
final class RegistrySink implements ImageSink {
    private final RegistryClient client;
    private final ImageReference ref;
    private final Path tempBase;
    private Path workDir;

    RegistrySink(RegistryClient client, ImageReference ref, Path tempBase) {
        if (ref.tag() == null) {
            throw new IllegalArgumentException("the destination " + ref + " needs a tag");
        }
        this.client = client;
        this.ref = new ImageReference(ref.registry(), ref.repository(), ref.tag(), null);
        this.tempBase = tempBase;
    }

    @Override
    public synchronized Path workDir() throws IOException {
        if (workDir == null) {
            workDir = tempBase == null ? Files.createTempDirectory("jstargz-work-")
                    : Files.createTempDirectory(tempBase, "jstargz-work-");
        }
        return workDir;
    }

    @Override
    public PushOutcome putBlob(Descriptor descriptor, BlobContent content, ImageReference mountFrom)
            throws IOException {
        return client.pushBlob(ref, content, mountFrom);
    }

    @Override
    public PushOutcome adoptBlob(Descriptor descriptor, Path file) throws IOException {
        return client.pushBlob(ref, BlobContent.of(file, descriptor.digest()), null);
    }

    @Override
    public void putManifest(Descriptor descriptor, byte[] bytes) throws IOException {
        client.putManifest(new ImageReference(ref.registry(), ref.repository(), null, descriptor.digest()),
                descriptor.mediaType(), bytes);
    }

    @Override
    public Digest commit(Descriptor descriptor, byte[] bytes) throws IOException {
        return client.putManifest(ref, descriptor.mediaType(), bytes);
    }

    @Override
    public Digest commitBeside(String suffix, Descriptor descriptor, byte[] bytes) throws IOException {
        return client.putManifest(new ImageReference(ref.registry(), ref.repository(), ref.tag() + suffix, null),
                descriptor.mediaType(), bytes);
    }

    @Override
    public synchronized void close() throws IOException {
        if (workDir != null) {
            FileTrees.removeTree(workDir);
        }
    }

    @Override
    public String toString() {
        return "docker://" + ref;
    }
}
