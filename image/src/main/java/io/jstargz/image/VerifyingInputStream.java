package io.jstargz.image;

import io.jstargz.remote.Digest;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.util.function.LongConsumer;

/**
 * Hashes and counts a blob as it is read; {@link #finish()} reads what the consumer left (tar padding after the
 * end-of-archive blocks) and fails if the bytes do not match the descriptor's digest and size.
 */
final class VerifyingInputStream extends FilterInputStream {
    private final Digest digest;
    private final long size;
    private final String what;
    private final MessageDigest hasher;
    private final LongConsumer counter;
    private long read;

    VerifyingInputStream(InputStream in, Digest digest, long size, String what, LongConsumer counter) {
        super(in);
        this.digest = digest;
        this.size = size;
        this.what = what;
        this.hasher = digest.newHasher();
        this.counter = counter;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = in.read(b, off, len);
        if (n > 0) {
            hasher.update(b, off, n);
            read += n;
            counter.accept(n);
            if (read > size) {
                throw new IOException(what + ": more than the " + size + " bytes its descriptor says");
            }
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        // every byte must pass through the hash
        byte[] scratch = new byte[8192];
        long skipped = 0;
        int r;
        while (skipped < n && (r = read(scratch, 0, (int) Math.min(scratch.length, n - skipped))) > 0) {
            skipped += r;
        }
        return skipped;
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    /** Reads to the end and checks size and digest. */
    void finish() throws IOException {
        transferTo(OutputStream.nullOutputStream());
        if (read != size) {
            throw new IOException(what + ": " + read + " bytes, but its descriptor says " + size);
        }
        Digest actual = Digest.fromHash(digest.algorithm(), hasher.digest());
        if (!actual.equals(digest)) {
            throw new IOException(what + ": content hashes to " + actual + ", not to " + digest);
        }
    }
}
