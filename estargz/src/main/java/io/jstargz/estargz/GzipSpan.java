package io.jstargz.estargz;

import java.io.IOException;
import java.util.zip.Inflater;

/**
 * The inflated bytes of consecutive gzip members in {@code buf[off, off + len)}: one member for a chunk's span (or
 * the TOC), several for a legacy file verified as a whole. The next member is started only when more bytes are asked
 * for than the current one holds; each member's CRC32 and ISIZE are checked as it ends.
 */
final class GzipSpan implements DecodeStream {
    private final byte[] buf;
    private final int end;
    private Inflater inflater;
    private GzipMember member;
    private int next;
    private long produced;

    /** The members at {@code buf[off, off + len)}; the inflater is owned by this stream until it is closed. */
    GzipSpan(byte[] buf, int off, int len, Inflater inflater) {
        this.buf = buf;
        this.end = off + len;
        this.next = off;
        this.inflater = inflater;
    }

    /** Reads the first member's header now (it is read on the first read otherwise). */
    void start() throws IOException {
        if (member == null) {
            member = new GzipMember(buf, next, end - next, inflater);
        }
    }

    @Override
    public int read(byte[] out, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        start();
        while (true) {
            int n = member.read(out, off, len);
            if (n >= 0) {
                produced += n;
                return n;
            }
            next = member.finish(0);
            if (next >= end) {
                return -1;
            }
            member = new GzipMember(buf, next, end - next, inflater);
        }
    }

    @Override
    public long produced() {
        return produced;
    }

    /** Inflates the rest of the current member (at most {@code limit} bytes) and checks its trailer. */
    @Override
    public void finish(long limit) throws IOException {
        start();
        member.finish(limit);
    }

    @Override
    public void close() {
        if (inflater != null) {
            GzipFormat.release(inflater);
            inflater = null;
        }
    }
}
