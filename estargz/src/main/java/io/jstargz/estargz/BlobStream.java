package io.jstargz.estargz;

import java.io.IOException;
import java.io.InputStream;

/** A range of a {@link BlobSource} as a stream, read a piece of at most 1 MiB at a time. */
final class BlobStream extends InputStream {
    private static final int PIECE = 1 << 20;

    private final BlobSource blob;
    private final long end;
    private long pos;
    private byte[] piece = new byte[0];
    private int at;

    BlobStream(BlobSource blob, long offset, long length) {
        this.blob = blob;
        this.pos = offset;
        this.end = offset + length;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (at == piece.length) {
            if (pos >= end) {
                return -1;
            }
            int n = (int) Math.min(PIECE, end - pos);
            piece = blob.read(pos, n);
            pos += n;
            at = 0;
        }
        int n = Math.min(len, piece.length - at);
        System.arraycopy(piece, at, b, off, n);
        at += n;
        return n;
    }

    @Override
    public long skip(long n) {
        long inPiece = Math.min(n, piece.length - at);
        at += (int) inPiece;
        long rest = Math.min(n - inPiece, end - pos);
        pos += rest;
        return inPiece + rest;
    }
}
