package io.jstargz.estargz;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;

/**
 * The decompressed bytes of consecutive zstd frames in {@code buf[off, off + len)}: a chunk's span (a member may be
 * several frames), or the TOC. zstd checks each frame's checksum as the frame ends.
 */
final class ZstdSpan implements DecodeStream {
    private final ZstdInputStreamNoFinalizer in;
    private long produced;

    ZstdSpan(byte[] buf, int off, int len) throws IOException {
        this.in = new ZstdInputStreamNoFinalizer(new ByteArrayInputStream(buf, off, len));
    }

    @Override
    public int read(byte[] out, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        int n;
        try {
            n = in.read(out, off, len);
        } catch (IOException e) {
            throw truncatedOrCorrupt(e);
        }
        if (n > 0) {
            produced += n;
        }
        return n;
    }

    /** zstd-jni says "truncated source" for a frame cut short: that is an EOF, as for gzip. */
    private static IOException truncatedOrCorrupt(IOException e) {
        String m = String.valueOf(e.getMessage());
        if (m.toLowerCase(java.util.Locale.ROOT).contains("truncated")) {
            return new EOFException("zstd frame is truncated: the compressed bytes end inside it");
        }
        return new IOException("corrupt zstd data: " + m, e);
    }

    @Override
    public long produced() {
        return produced;
    }

    /** Reads the rest (none may be left past {@code limit} bytes): zstd checks the frames' checksums as they end. */
    @Override
    public void finish(long limit) throws IOException {
        byte[] scratch = new byte[(int) Math.min(8192, limit + 1)];
        long left = limit;
        int n;
        while ((n = read(scratch, 0, (int) Math.min(scratch.length, left + 1))) >= 0) {
            left -= n;
            if (left < 0) {
                throw new IOException("the zstd frames decompress to more than " + limit + " further bytes");
            }
        }
    }

    @Override
    public void close() {
        try {
            in.close();
        } catch (IOException e) {
            // closing frees native memory; there is nothing to flush
        }
    }
}
