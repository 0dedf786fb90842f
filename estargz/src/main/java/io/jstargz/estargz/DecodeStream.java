package io.jstargz.estargz;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;

/**
 * Decompressed bytes of a compressed range of a blob (a chunk's span, the TOC), read by a {@link BlobFormat}'s
 * decompressor. It never reads outside the range it was given and never decompresses more than asked for, so
 * hostile input costs at most what the caller is prepared to read. Closing it gives its decompressor back.
 */
interface DecodeStream extends Closeable {

    /**
     * Decompresses up to {@code len} bytes; returns how many, or -1 once the compressed data has ended.
     *
     * @throws EOFException if the range ends inside the compressed data
     * @throws IOException  if the compressed data is corrupt
     */
    int read(byte[] out, int off, int len) throws IOException;

    /** Bytes decompressed so far. */
    long produced();

    /**
     * Decompresses what is left (at most {@code limit} more bytes) and checks the integrity data the format keeps
     * beside it (a gzip trailer, a zstd checksum).
     */
    void finish(long limit) throws IOException;

    /** Reads exactly {@code len} bytes, or throws EOFException naming how many there were. */
    default void readFully(byte[] out, int off, int len) throws IOException {
        int done = 0;
        while (done < len) {
            int n = read(out, off + done, len - done);
            if (n < 0) {
                throw new EOFException("the compressed data ended after " + produced() + " bytes, "
                        + (len - done) + " bytes short");
            }
            done += n;
        }
    }

    /** Skips exactly {@code n} decompressed bytes. */
    default void skipFully(long n) throws IOException {
        byte[] scratch = new byte[(int) Math.min(n, 64 * 1024)];
        while (n > 0) {
            int r = (int) Math.min(n, scratch.length);
            readFully(scratch, 0, r);
            n -= r;
        }
    }

    @Override
    void close();
}
