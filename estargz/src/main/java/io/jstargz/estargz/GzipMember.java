package io.jstargz.estargz;

import java.io.EOFException;
import java.io.IOException;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Reads one gzip member out of a byte array: parses the RFC 1952 header, inflates the deflate stream, and can check
 * the CRC32/ISIZE trailer. It never reads outside {@code [off, off + len)} and never inflates more than asked for, so
 * hostile input costs at most what the caller is prepared to read.
 */
final class GzipMember {
    private static final int FHCRC = 0x02;
    private static final int FEXTRA = 0x04;
    private static final int FNAME = 0x08;
    private static final int FCOMMENT = 0x10;

    private final byte[] buf;
    private final int end;
    private final Inflater inflater;
    private final CRC32 crc = new CRC32();
    private final int deflateStart;
    private long produced;

    /** Starts reading the member at {@code buf[off]}; the inflater is reset and owned by this reader until done. */
    GzipMember(byte[] buf, int off, int len, Inflater inflater) throws IOException {
        this.buf = buf;
        this.end = off + len;
        this.inflater = inflater;
        this.deflateStart = off + headerLength(buf, off, len);
        inflater.reset();
        inflater.setInput(buf, deflateStart, end - deflateStart);
    }

    /** Length of the gzip header at {@code b[off]}, or an IOException saying why it is not one. */
    static int headerLength(byte[] b, int off, int len) throws IOException {
        if (len < 10 || (b[off] & 0xff) != 0x1f || (b[off + 1] & 0xff) != 0x8b) {
            throw new IOException("no gzip header");
        }
        if (b[off + 2] != 8) {
            throw new IOException("gzip compression method " + b[off + 2] + " is not deflate");
        }
        int flg = b[off + 3] & 0xff;
        if ((flg & 0xe0) != 0) {
            throw new IOException("gzip header has reserved flags set");
        }
        int p = 10;
        if ((flg & FEXTRA) != 0) {
            if (len < p + 2) {
                throw new EOFException("gzip header is truncated");
            }
            p += 2 + ((b[off + p] & 0xff) | (b[off + p + 1] & 0xff) << 8);
        }
        for (int flag : new int[] {FNAME, FCOMMENT}) {
            if ((flg & flag) != 0) {
                while (p < len && b[off + p] != 0) {
                    p++;
                }
                p++;
            }
        }
        if ((flg & FHCRC) != 0) {
            p += 2;
        }
        if (p > len) {
            throw new EOFException("gzip header is truncated");
        }
        return p;
    }

    /**
     * Inflates up to {@code len} bytes; returns how many, or -1 once the deflate stream has ended.
     *
     * @throws EOFException if the compressed bytes run out before the deflate stream ends
     */
    int read(byte[] out, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        try {
            for (int idle = 0; ; idle++) {
                if (idle > 64) {
                    throw new IOException("corrupt deflate data: the inflater makes no progress");
                }
                if (inflater.finished()) {
                    return -1;
                }
                int n = inflater.inflate(out, off, len);
                if (n > 0) {
                    crc.update(out, off, n);
                    produced += n;
                    return n;
                }
                if (inflater.needsInput()) {
                    throw new EOFException("gzip member is truncated: the compressed bytes end inside the stream");
                }
                if (inflater.needsDictionary()) {
                    throw new IOException("deflate stream asks for a preset dictionary");
                }
            }
        } catch (DataFormatException e) {
            throw new IOException("corrupt deflate data: " + e.getMessage(), e);
        }
    }

    /**
     * Inflates the rest of the member (at most {@code limit} more bytes) and checks its CRC32 and ISIZE trailer;
     * returns the offset in the buffer just past the member.
     */
    int finish(long limit) throws IOException {
        byte[] scratch = new byte[8192];
        long left = limit;
        while (!inflater.finished()) {
            int n = read(scratch, 0, (int) Math.min(scratch.length, Math.max(1, left)));
            if (n > 0) {
                left -= n;
                if (left < 0) {
                    throw new IOException("gzip member inflates to more than " + limit + " further bytes");
                }
            }
        }
        int trailer = end - inflater.getRemaining();
        if (end - trailer < 8) {
            throw new EOFException("gzip member is truncated: its CRC32/ISIZE trailer is missing");
        }
        long storedCrc = le32(buf, trailer);
        long storedSize = le32(buf, trailer + 4);
        if (storedCrc != crc.getValue()) {
            throw new IOException("gzip member CRC32 mismatch");
        }
        if (storedSize != (produced & 0xffffffffL)) {
            throw new IOException("gzip member ISIZE mismatch");
        }
        return trailer + 8;
    }

    static long le32(byte[] b, int at) {
        return (b[at] & 0xffL) | (b[at + 1] & 0xffL) << 8 | (b[at + 2] & 0xffL) << 16 | (b[at + 3] & 0xffL) << 24;
    }
}
