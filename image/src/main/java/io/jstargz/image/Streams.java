package io.jstargz.image;

import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.function.LongConsumer;

/** Stream wrappers the conversion pipeline needs. */
final class Streams {
    private Streams() {
    }

    /** Copies everything read (and skipped) into {@code copy}. */
    static InputStream tee(InputStream in, OutputStream copy) {
        return new FilterInputStream(in) {
            private final byte[] scratch = new byte[8192];

            @Override
            public int read() throws IOException {
                int b = in.read();
                if (b >= 0) {
                    copy.write(b);
                }
                return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = in.read(b, off, len);
                if (n > 0) {
                    copy.write(b, off, n);
                }
                return n;
            }

            @Override
            public long skip(long n) throws IOException {
                int r = read(scratch, 0, (int) Math.min(n, scratch.length));
                return Math.max(r, 0);
            }

            @Override
            public boolean markSupported() {
                return false;
            }
        };
    }

    /** Reports the number of bytes written to {@code counter} as they pass. */
    static OutputStream counting(OutputStream out, LongConsumer counter) {
        return new FilterOutputStream(out) {
            @Override
            public void write(int b) throws IOException {
                out.write(b);
                counter.accept(1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
                counter.accept(len);
            }
        };
    }
}
