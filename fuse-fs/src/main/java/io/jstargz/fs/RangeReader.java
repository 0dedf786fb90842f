package io.jstargz.fs;

import io.jstargz.estargz.BlobSource;
import io.jstargz.remote.ByteRange;
import io.jstargz.remote.RegistryBlobSource;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * How the fetchers read a blob: many ranges at once (a registry answers them in as few requests as it can) and one
 * long range as a stream (a prefetch costs one request and holds only a span at a time in memory).
 */
interface RangeReader {

    /** The bytes of each range, in the order asked. */
    List<byte[]> read(List<ByteRange> ranges) throws IOException;

    /** One range as a stream; the caller closes it. */
    InputStream stream(long offset, long length) throws IOException;

    /** The reader for {@code blob}: a registry blob's batch and streaming requests, else plain reads. */
    static RangeReader of(BlobSource blob) {
        if (blob instanceof RegistryBlobSource remote) {
            return new RangeReader() {
                @Override
                public List<byte[]> read(List<ByteRange> ranges) throws IOException {
                    return remote.readRanges(ranges);
                }

                @Override
                public InputStream stream(long offset, long length) throws IOException {
                    return remote.openStream(offset, length);
                }
            };
        }
        return new RangeReader() {
            @Override
            public List<byte[]> read(List<ByteRange> ranges) throws IOException {
                List<byte[]> out = new ArrayList<>(ranges.size());
                for (ByteRange r : ranges) {
                    out.add(blob.read(r.offset(), Math.toIntExact(r.length())));
                }
                return out;
            }

            @Override
            public InputStream stream(long offset, long length) {
                return new BlobStream(blob, offset, length);
            }
        };
    }

    /** A range of a {@link BlobSource} read in pieces of at most 1 MiB. */
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
}
