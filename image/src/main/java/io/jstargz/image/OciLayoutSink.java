package io.jstargz.image;

import io.jstargz.mount.FileTrees;
import io.jstargz.remote.BlobContent;
import io.jstargz.remote.Descriptor;
import io.jstargz.remote.Digest;
import io.jstargz.remote.ImageReference;
import io.jstargz.remote.PushOutcome;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;

/** Writes an image into an OCI image layout directory; blobs land atomically, {@code index.json} last. */
final class OciLayoutSink implements ImageSink {
    private final OciLayoutDir layout;
    private final String tag;
    private Path workDir;

    OciLayoutSink(Path dir, String tag) {
        this.layout = new OciLayoutDir(dir);
        this.tag = tag;
    }

    /** Created on first use, so that a conversion failing early leaves no trace at the destination. */
    @Override
    public synchronized Path workDir() throws IOException {
        if (workDir == null) {
            Files.createDirectories(layout.dir().resolve("blobs/sha256"));
            // in the layout, so converted blobs are renamed into place rather than copied
            workDir = Files.createTempDirectory(layout.dir(), ".jstargz-work-");
        }
        return workDir;
    }

    @Override
    public PushOutcome putBlob(Descriptor descriptor, BlobContent content, ImageReference mountFrom)
            throws IOException {
        Path target = layout.blob(descriptor.digest());
        if (present(target, descriptor)) {
            return PushOutcome.ALREADY_EXISTS;
        }
        Path tmp = Files.createTempFile(workDir(), "blob-", ".tmp");
        try {
            MessageDigest hasher = descriptor.digest().newHasher();
            try (InputStream in = content.open(0);
                 OutputStream out = new DigestOutputStream(Files.newOutputStream(tmp), hasher)) {
                in.transferTo(out);
            }
            Digest actual = Digest.fromHash(descriptor.digest().algorithm(), hasher.digest());
            if (!actual.equals(descriptor.digest()) || Files.size(tmp) != descriptor.size()) {
                throw new IOException("copying blob " + descriptor.digest() + " into " + this + ": the source gave "
                        + Files.size(tmp) + " bytes hashing to " + actual);
            }
            return adoptBlob(descriptor, tmp);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    @Override
    public PushOutcome adoptBlob(Descriptor descriptor, Path file) throws IOException {
        Path target = layout.blob(descriptor.digest());
        if (present(target, descriptor)) {
            return PushOutcome.ALREADY_EXISTS;
        }
        Files.createDirectories(target.getParent());
        OciLayoutDir.readable(file);
        Files.move(file, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return PushOutcome.UPLOADED;
    }

    private static boolean present(Path target, Descriptor descriptor) throws IOException {
        return Files.isRegularFile(target) && Files.size(target) == descriptor.size();
    }

    @Override
    public void putManifest(Descriptor descriptor, byte[] bytes) throws IOException {
        Path tmp = Files.createTempFile(workDir(), "manifest-", ".tmp");
        try {
            Files.write(tmp, bytes);
            adoptBlob(descriptor, tmp);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    @Override
    public Digest commit(Descriptor descriptor, byte[] bytes) throws IOException {
        putManifest(descriptor, bytes);
        layout.tag(descriptor, tag);
        return descriptor.digest();
    }

    @Override
    public Digest commitBeside(String suffix, Descriptor descriptor, byte[] bytes) throws IOException {
        if (tag == null) {
            throw new IllegalArgumentException("the destination " + this + " needs a tag for the image beside it ("
                    + "TAG" + suffix + ")");
        }
        putManifest(descriptor, bytes);
        layout.tag(descriptor, tag + suffix);
        return descriptor.digest();
    }

    @Override
    public synchronized void close() throws IOException {
        if (workDir != null) {
            FileTrees.removeTree(workDir);
        }
    }

    @Override
    public String toString() {
        return "oci:" + layout.dir() + (tag == null ? "" : ":" + tag);
    }
}
