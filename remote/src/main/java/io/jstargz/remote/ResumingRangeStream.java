package io.jstargz.remote;

import io.jstargz.estargz.ByteRange;
import java.io.IOException;
import java.io.InputStream;
import okhttp3.Headers;
import okhttp3.Response;
import okio.BufferedSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A byte range of a blob read as a stream from one request. If the connection breaks mid-body, it asks for the
 * remaining bytes and continues (bounded by {@link RegistryConfig#maxRetries()}), so a large prefetch survives a
 * reset without starting over. Holds the host's request slot until closed.
 */
final class ResumingRangeStream extends InputStream {

    private static final Logger LOG = LoggerFactory.getLogger(ResumingRangeStream.class);

    private final BlobLocator locator;
    private final long end;
    private final int maxResumes;
    private final String what;
    private Response response;
    private BufferedSource source;
    private long position;
    private int resumes;
    private boolean closed;

    ResumingRangeStream(BlobLocator locator, ByteRange range, int maxResumes) throws IOException {
        this.locator = locator;
        this.end = range.end();
        this.maxResumes = maxResumes;
        this.what = "stream of " + range + " of " + locator.describe();
        this.position = range.offset();
        open();
    }

    private void open() throws IOException {
        ByteRange rest = new ByteRange(position, end - position);
        response = locator.openStream(Headers.of("Range", "bytes=" + RangeResponses.spec(rest)), what);
        try {
            source = RangeResponses.positioned(response, rest, what);
        } catch (IOException | RuntimeException e) {
            response.close();
            throw e;
        }
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (closed) {
            throw new IOException(what + ": stream closed");
        }
        if (position >= end) {
            return -1;
        }
        if (len == 0) {
            return 0;
        }
        int want = (int) Math.min(len, end - position);
        while (true) {
            try {
                int n = source.read(b, off, want);
                if (n < 0) {
                    throw new IOException(what + ": the response ended early at offset " + position);
                }
                position += n;
                return n;
            } catch (IOException e) {
                if (resumes >= maxResumes || !Retrier.isRetryable(e)) {
                    throw e;
                }
                resumes++;
                LOG.debug("{}: {} at offset {}; asking for the rest ({} of {})", what, e.toString(), position,
                        resumes, maxResumes);
                response.close();
                open();
            }
        }
    }

    @Override
    public long skip(long n) throws IOException {
        long skipped = 0;
        byte[] scratch = new byte[8192];
        while (skipped < n) {
            int r = read(scratch, 0, (int) Math.min(scratch.length, n - skipped));
            if (r < 0) {
                break;
            }
            skipped += r;
        }
        return skipped;
    }

    @Override
    public int available() throws IOException {
        return closed ? 0 : (int) Math.min(source.getBuffer().size(), end - position);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            response.close();
        }
    }
}
