package io.jstargz.image;

import io.jstargz.remote.BlobContent;
import io.jstargz.remote.Descriptor;
import io.jstargz.remote.Digest;
import io.jstargz.remote.ImageReference;
import io.jstargz.remote.PushOutcome;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The destination of the quick conversion {@code optimize} mounts the workload from: converted layers stay as files
 * in a directory ({@link #blob}); layers already eStargz and the documents are not copied anywhere (they are read
 * from the source when mounted).
 */
final class PrepSink implements ImageSink {
    private final Path dir;

    PrepSink(Path dir) throws IOException {
        this.dir = Files.createDirectories(dir);
    }

    /** Where a converted layer was put. */
    Path blob(Digest digest) {
        return dir.resolve(digest.hex());
    }

    @Override
    public Path workDir() {
        return dir;
    }

    @Override
    public PushOutcome putBlob(Descriptor descriptor, BlobContent content, ImageReference mountFrom) {
        return PushOutcome.ALREADY_EXISTS;
    }

    @Override
    public PushOutcome adoptBlob(Descriptor descriptor, Path file) throws IOException {
        Files.move(file, blob(descriptor.digest()), StandardCopyOption.REPLACE_EXISTING);
        return PushOutcome.UPLOADED;
    }

    @Override
    public void putManifest(Descriptor descriptor, byte[] bytes) {
    }

    @Override
    public Digest commit(Descriptor descriptor, byte[] bytes) {
        return descriptor.digest();
    }

    @Override
    public Digest commitBeside(String suffix, Descriptor descriptor, byte[] bytes) {
        return descriptor.digest();
    }

    @Override
    public void close() {
    }

    @Override
    public String toString() {
        return "(work directory " + dir + ")";
    }
}
