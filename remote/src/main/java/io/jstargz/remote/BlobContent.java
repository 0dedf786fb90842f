package io.jstargz.remote;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;

/**
 * Content to upload: its digest and size known up front, its bytes readable as often as needed (an upload that
 * fails is retried from a fresh stream) and from any offset (chunked uploads), so memory stays bounded whatever the
 * size.
 */
public interface BlobContent {

    Digest digest();

    long size();

    /** A fresh stream positioned at {@code offset}. */
    InputStream open(long offset) throws IOException;

    /** Opens a fresh stream of some content at an offset. */
    @FunctionalInterface
    interface Opener {
        InputStream open(long offset) throws IOException;
    }

    /** Content whose digest and size are known and whose bytes {@code opener} reads. */
    static BlobContent of(Digest digest, long size, Opener opener) {
        return new BlobContent() {
            @Override
            public Digest digest() {
                return digest;
            }

            @Override
            public long size() {
                return size;
            }

            @Override
            public InputStream open(long offset) throws IOException {
                return opener.open(offset);
            }
        };
    }

    /** In-memory content. */
    static BlobContent of(byte[] bytes) {
        return of(Digest.sha256(bytes), bytes.length,
                offset -> new ByteArrayInputStream(bytes, (int) offset, bytes.length - (int) offset));
    }

    /** A file, hashed here once with sha256. */
    static BlobContent of(Path file) throws IOException {
        MessageDigest sha256 = Digest.newSha256();
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), sha256)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return of(file, Digest.fromHash("sha256", sha256.digest()));
    }

    /** A file whose digest is already known (the registry checks it on upload). */
    static BlobContent of(Path file, Digest digest) throws IOException {
        return of(digest, Files.size(file), offset -> {
            FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
            channel.position(offset);
            return Channels.newInputStream(channel);
        });
    }
}
