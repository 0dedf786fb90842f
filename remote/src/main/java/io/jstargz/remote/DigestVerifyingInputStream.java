package io.jstargz.remote;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/** Hashes what passes through and fails at the end if it does not match. */
final class DigestVerifyingInputStream extends FilterInputStream {
    private final Digest digest;
    private final MessageDigest hasher;
    private final String what;
    private boolean verified;

    DigestVerifyingInputStream(InputStream in, Digest digest, String what) {
        super(in);
        this.digest = digest;
        this.hasher = digest.newHasher();
        this.what = what;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n > 0) {
            hasher.update(b, off, n);
        } else if (n < 0 && !verified) {
            verified = true;
            byte[] hash = hasher.digest();
            if (!digest.matchesHash(hash)) {
                throw new DigestMismatchException(what, digest, Digest.fromHash(digest.algorithm(), hash)
                        .toString());
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
}
