package io.jstargz.remote;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.util.function.LongConsumer;

/**
 * Hashes and counts a blob as it is read, and fails instead of returning end-of-stream when the bytes do not match
 * the expected digest and size. {@link #finish()} reads what a consumer left unread (such as tar padding after the
 * end-of-archive blocks) so that the check always covers the whole blob.
 */
public final class DigestVerifyingInputStream extends FilterInputStream {
    private final Digest digest;
    private final long size;
    private final String what;
    private final MessageDigest hasher;
    private final LongConsumer counter;
    private long read;
    private boolean verified;

    /**
     * @param size    the expected size, or -1 when unknown
     * @param what    names the blob in error messages
     * @param counter told the number of bytes of every read (progress)
     */
    public DigestVerifyingInputStream(InputStream in, Digest digest, long size, String what, LongConsumer counter) {
        super(in);
        this.digest = digest;
        this.size = size;
        this.what = what;
        this.hasher = digest.newHasher();
        this.counter = counter;
    }

    DigestVerifyingInputStream(InputStream in, Digest digest, long size, String what) {
        this(in, digest, size, what, n -> { });
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
            if (size >= 0 && read > size) {
                throw new IOException(what + ": more than the " + size + " bytes its descriptor says");
            }
        } else if (n < 0) {
            verify();
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

    /** Reads to the end of the stream and checks size and digest. */
    public void finish() throws IOException {
        transferTo(OutputStream.nullOutputStream());
        verify();
    }

    private void verify() throws IOException {
        if (verified) {
            return;
        }
        verified = true;
        if (size >= 0 && read != size) {
            throw new IOException(what + ": " + read + " bytes, but its descriptor says " + size);
        }
        byte[] hash = hasher.digest();
        if (!digest.matchesHash(hash)) {
            throw new DigestMismatchException(what, digest, Digest.fromHash(digest.algorithm(), hash).toString());
        }
    }
}
