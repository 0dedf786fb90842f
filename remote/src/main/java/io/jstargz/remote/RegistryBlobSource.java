package io.jstargz.remote;

import io.jstargz.concurrent.Futures;
import io.jstargz.estargz.BlobTail;
import io.jstargz.estargz.ByteRange;
import io.jstargz.estargz.RangeCoalescer;
import io.jstargz.estargz.RemoteBlob;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import okhttp3.Headers;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A registry blob (a layer) read with HTTP Range requests: a {@link RemoteBlob}, so a remote layer opens with the same
 * reader code as a local file, and its reads cost as few requests as they can. Safe for use from many threads.
 *
 * <p>Every {@link #read} is one range request, and {@link #readRanges} merges what it is asked for into multi-range
 * requests. When the size is not known in advance (no descriptor), {@link #readTail} learns it with the request that
 * fetches the blob's tail, so opening a layer costs one request; {@link #size} alone asks with a HEAD request.
 */
public final class RegistryBlobSource implements RemoteBlob {

    private static final Logger LOG = LoggerFactory.getLogger(RegistryBlobSource.class);

    private final BlobLocator locator;
    private final HttpTransport transport;
    private final Executor executor;
    private final RegistryConfig config;
    private volatile long size;
    private volatile long lastSuccessNanos;
    private volatile boolean closed;

    RegistryBlobSource(BlobLocator locator, long size, HttpTransport transport, Executor executor) {
        this.locator = locator;
        this.size = size;
        this.transport = transport;
        this.executor = executor;
        this.config = transport.config();
    }

    public Digest digest() {
        return locator.digest();
    }

    /** The repository the blob is read from. */
    public ImageReference repository() {
        return locator.repository();
    }

    /** The size: from the descriptor when it was given, else learned by {@link #readTail} or a HEAD request. */
    @Override
    public long size() throws IOException {
        long s = size;
        if (s < 0) {
            String what = "size of " + locator.describe();
            s = locator.read("HEAD", Headers.of(), what, ex -> {
                String length = ex.header("Content-Length");
                try {
                    return Long.parseLong(length == null ? "" : length.trim());
                } catch (NumberFormatException e) {
                    throw new RegistryException(what + ": the registry sent no valid Content-Length (" + length
                            + ")");
                }
            });
            size = s;
        }
        return s;
    }

    @Override
    public byte[] read(long offset, int length) throws IOException {
        ensureOpen();
        ByteRange want = new ByteRange(offset, length);
        long s = size();
        if (want.end() > s) {
            throw RangeResponses.pastEnd("read of " + locator.describe(), want, s);
        }
        return length == 0 ? new byte[0] : fetch(want, ReadDeadline.NONE);
    }

    /**
     * The last {@code tailSize} bytes of the blob (all of a smaller one) with one suffix range request, which also
     * tells the blob's size. A server that ignores the range and sends the whole blob gives it all when it is no
     * larger than the tail, else only its size.
     */
    public BlobTail readTail(int tailSize) throws IOException {
        ensureOpen();
        String what = "tail of " + locator.describe();
        BlobTail tail = locator.read("GET", Headers.of("Range", "bytes=-" + tailSize), what,
                ex -> readTail(ex, what, tailSize));
        size = tail.blobSize();
        succeeded();
        return tail;
    }

    /**
     * Reads many ranges with as few requests as possible: ranges that touch or lie within
     * {@link RegistryConfig#rangeCoalesceGap()} are merged, the merged ranges go in multi-range requests where the
     * server supports them and in parallel single-range requests where not.
     *
     * @return the bytes of each range, in the order asked
     */
    @Override
    public List<byte[]> readRanges(List<ByteRange> ranges) throws IOException {
        return readRanges(ranges, ReadDeadline.NONE);
    }

    /**
     * Reads many ranges as {@link #readRanges(List)} does, within {@code bound}: an attempt that stalls is abandoned
     * in time for a retry on a fresh connection (see {@link ReadDeadline}), and past the bound the read fails.
     */
    @Override
    public List<byte[]> readRanges(List<ByteRange> ranges, Duration bound) throws IOException {
        return readRanges(ranges, ReadDeadline.within(bound));
    }

    private List<byte[]> readRanges(List<ByteRange> ranges, ReadDeadline deadline) throws IOException {
        ensureOpen();
        long s = size();
        for (ByteRange r : ranges) {
            if (r.end() > s) {
                throw RangeResponses.pastEnd("read of " + locator.describe(), r, s);
            }
            if (r.length() > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("range " + r + " is too large to read into memory");
            }
        }
        List<ByteRange> merged = RangeCoalescer.coalesce(ranges.stream().filter(r -> r.length() > 0).toList(),
                config.rangeCoalesceGap());
        Map<ByteRange, byte[]> data = merged.isEmpty() ? Map.of() : fetchAll(merged, deadline);
        return RangeCoalescer.split(ranges, merged, merged.stream().map(data::get).toList());
    }

    /**
     * One range as a stream from a single request (e.g. a prefetch of the first N MB); a connection lost mid-way
     * is resumed from where it broke. The caller closes it.
     */
    @Override
    public InputStream openStream(long offset, long length) throws IOException {
        ensureOpen();
        ByteRange want = new ByteRange(offset, length);
        long s = size();
        if (want.end() > s) {
            throw RangeResponses.pastEnd("stream of " + locator.describe(), want, s);
        }
        if (length == 0) {
            return InputStream.nullInputStream();
        }
        InputStream in = new ResumingRangeStream(locator, want, config.maxRetries());
        succeeded();
        return in;
    }

    /**
     * Checks that the blob is still reachable: free when a request succeeded within
     * {@link RegistryConfig#checkInterval()}, else a 1-byte read.
     */
    @Override
    public void check() throws IOException {
        ensureOpen();
        if (lastSuccessNanos != 0 && System.nanoTime() - lastSuccessNanos < config.checkInterval().toNanos()) {
            return;
        }
        long s = size();
        if (s == 0) {
            locator.read("HEAD", Headers.of(), "check of " + locator.describe(), ex -> null);
            succeeded();
        } else {
            fetch(new ByteRange(0, 1), ReadDeadline.NONE);
        }
    }

    @Override
    public void close() {
        closed = true;
    }

    @Override
    public String toString() {
        return locator.describe();
    }

    private byte[] fetch(ByteRange want, ReadDeadline deadline) throws IOException {
        String what = "read of " + want + " of " + locator.describe();
        Headers range = Headers.of("Range", "bytes=" + RangeResponses.spec(want));
        byte[] bytes = locator.read("GET", range, what, deadline, ex -> {
            noteIgnoredRange(ex);
            return RangeResponses.single(ex, want, what);
        });
        succeeded();
        return bytes;
    }

    private BlobTail readTail(Response ex, String what, int tailSize) throws IOException {
        if (ex.code() == 206) {
            ContentRange cr = ContentRange.parse(ex.header("Content-Range"));
            if (cr == null || cr.first() < 0 || cr.total() < 0 || cr.last() != cr.total() - 1) {
                throw new RegistryException(what + ": unexpected Content-Range " + ex.header("Content-Range")
                        + " for a suffix range request");
            }
            byte[] bytes = RangeResponses.readExactly(ex.body().source(), cr.last() - cr.first() + 1, what);
            return new BlobTail(cr.total(), cr.first(), bytes);
        }
        noteIgnoredRange(ex);
        long length = ex.body().contentLength();
        if (length < 0) {
            throw new RegistryException(what + ": the server ignored the Range request and sent no Content-Length");
        }
        // a whole blob no larger than a tail is worth keeping; a larger one is not read at all
        return length > tailSize ? BlobTail.none(length)
                : new BlobTail(length, 0, RangeResponses.readExactly(ex.body().source(), length, what));
    }

    private Map<ByteRange, byte[]> fetchAll(List<ByteRange> merged, ReadDeadline deadline) throws IOException {
        Map<ByteRange, byte[]> data = new HashMap<>();
        if (merged.size() == 1) {
            data.put(merged.get(0), fetch(merged.get(0), deadline));
            return data;
        }
        List<ByteRange> missing = new ArrayList<>();
        if (transport.multiRangeAllowed(locator.repository().registry())) {
            List<List<ByteRange>> batches = new ArrayList<>();
            for (int i = 0; i < merged.size(); i += config.maxRangesPerRequest()) {
                batches.add(merged.subList(i, Math.min(merged.size(), i + config.maxRangesPerRequest())));
            }
            for (Map<ByteRange, byte[]> got : Futures.parallel(batches, executor, what(),
                    batch -> fetchMulti(batch, deadline))) {
                data.putAll(got);
            }
            for (ByteRange r : merged) {
                if (!data.containsKey(r)) {
                    missing.add(r);
                }
            }
        } else {
            missing.addAll(merged);
        }
        List<byte[]> singles = Futures.parallel(missing, executor, what(), r -> fetch(r, deadline));
        for (int i = 0; i < missing.size(); i++) {
            data.put(missing.get(i), singles.get(i));
        }
        return data;
    }

    private Map<ByteRange, byte[]> fetchMulti(List<ByteRange> batch, ReadDeadline deadline) throws IOException {
        if (batch.size() == 1) {
            return Map.of(batch.get(0), fetch(batch.get(0), deadline));
        }
        StringBuilder spec = new StringBuilder("bytes=");
        for (ByteRange r : batch) {
            spec.append(spec.length() == 6 ? "" : ",").append(RangeResponses.spec(r));
        }
        String what = batch.size() + " ranges of " + locator.describe();
        Map<ByteRange, byte[]> got = locator.read("GET", Headers.of("Range", spec.toString()), what, deadline, ex -> {
            MediaType type = ex.body().contentType();
            String registry = locator.repository().registry();
            if (ex.code() != 206 || type == null || !type.type().equals("multipart")) {
                // a server answering one range or the whole blob will do so again: ask range by range from now on
                transport.multiRangeUnsupported(registry);
                if (transport.firstTime("multi-range " + registry)) {
                    LOG.info("{} does not answer multi-range requests; using parallel single-range requests",
                            registry);
                }
            }
            noteIgnoredRange(ex);
            return RangeResponses.multi(ex, batch, what);
        });
        succeeded();
        return got;
    }

    private void noteIgnoredRange(Response ex) {
        HttpUrl url = ex.request().url();
        if (ex.code() == 200 && transport.firstTime("range " + url.host() + ":" + url.port())) {
            LOG.warn("{}:{} ignores Range requests: whole blobs are streamed through to the bytes wanted",
                    url.host(), url.port());
        }
    }

    private String what() {
        return "ranges of " + locator.describe();
    }

    private void succeeded() {
        lastSuccessNanos = System.nanoTime();
    }

    private void ensureOpen() throws IOException {
        if (closed) {
            throw new IOException(locator.describe() + ": the blob source is closed");
        }
    }
}
