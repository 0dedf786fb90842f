package io.jstargz.fs;

import io.jstargz.estargz.ChunkVerificationException;
import io.jstargz.estargz.RemoteBlob;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches a layer's prioritized region {@code [0, end)} in one request and fills the cache from it, span by span as
 * the bytes stream in (only one span is held in memory). Spans already cached are skipped (their bytes are read
 * past). The spans in a window ahead of the stream are claimed, so a reader that wants one of them waits for the
 * stream instead of fetching it again; a reader that wants a span further ahead fetches it itself, and the prefetch
 * then reads past it.
 *
 * <p>The stream's thread only reads: each span's bytes are inflated, verified and cached by one of up to
 * {@code decoders} tasks, one span each. On loopback a region of tens of MiB is bound by that work, not by the link
 * (the jdk image's 56 MiB took 723 ms on one thread), and the container waits for most of it; on a slow link the
 * stream is the bound and the tasks keep up. So the prefetch holds at most {@code decoders + 1} spans at once.
 */
final class Prefetcher {
    private static final Logger log = LoggerFactory.getLogger(Prefetcher.class);
    /** Compressed bytes ahead of the stream whose spans readers wait for rather than fetch. */
    static final long WINDOW = 4L << 20;
    /**
     * Compressed bytes at the region's start whose chunks go through the memory tier, their disk writes waiting for the
     * quiet period (what a container's start reads first, and the whole region of most layers). The rest goes to disk
     * only, as the background fetch's chunks do: through a 16 MiB tier, the jdk image's 56 MiB pushed one another out
     * and were promoted to the heap's old generation, and the container waited 0.2 s longer.
     */
    private static final long IN_MEMORY = 4L << 20;

    private final String layer;
    private final SpanStore store;
    private final SpanTable table;
    private final RemoteBlob blob;
    private final FetchCounters counters;
    private final Executor decodePool;
    private final int decoders;

    /** @param decoders spans inflated and verified at once, on {@code decodePool} */
    Prefetcher(String layer, SpanStore store, RemoteBlob blob, FetchCounters counters, Executor decodePool,
               int decoders) {
        this.layer = layer;
        this.store = store;
        this.table = store.table();
        this.blob = blob;
        this.counters = counters;
        this.decodePool = decodePool;
        this.decoders = decoders;
    }

    /**
     * Prefetches the spans that end at or before {@code end}.
     *
     * @param allClaimed completed once every span still to come is claimed (or cached)
     * @return compressed bytes fetched
     * @throws IOException if the request fails; chunks that do not verify are logged and skipped
     */
    long run(long end, CompletableFuture<Void> allClaimed) throws IOException {
        int count = 0;
        while (count < table.spanCount() && table.end(count) <= end) {
            count++;
        }
        int first = 0;
        while (first < count && store.isCached(first)) {
            first++;
        }
        int last = count - 1;
        while (last >= first && store.isCached(last)) {
            last--;
        }
        if (first > last) {
            log.debug("layer {}: the prefetch region [0, {}) is already cached", layer, end);
            return 0;
        }
        long from = table.start(first);
        long length = table.end(last) - from;
        log.debug("layer {}: prefetching [{}, {}) in one request", layer, from, from + length);
        Map<Integer, CompletableFuture<byte[][]>> claims = new HashMap<>();
        Semaphore decoding = new Semaphore(decoders);
        int claimedUpTo = first;
        long pos = from;
        counters.requests.increment();
        try (InputStream in = blob.openStream(from, length)) {
            for (int s = first; s <= last; s++) {
                while (claimedUpTo <= last && table.start(claimedUpTo) < table.start(s) + WINDOW) {
                    CompletableFuture<byte[][]> claim = store.isCached(claimedUpTo) ? null
                            : store.claimIfFree(claimedUpTo);
                    if (claim != null) {
                        claims.put(claimedUpTo, claim);
                    }
                    claimedUpTo++;
                }
                if (claimedUpTo > last) {
                    allClaimed.complete(null);
                }
                CompletableFuture<byte[][]> claim = claims.remove(s);
                in.skipNBytes(table.start(s) - pos);
                int len = (int) table.length(s);
                if (claim == null) {
                    in.skipNBytes(len);
                } else {
                    byte[] bytes = new byte[len];
                    try {
                        if (in.readNBytes(bytes, 0, len) < len) {
                            throw new EOFException("the response ended before offset " + table.end(s));
                        }
                    } catch (IOException e) {
                        store.fail(s, claim, e);
                        throw e;
                    }
                    decode(s, claim, bytes, table.start(s) - from < IN_MEMORY, decoding);
                }
                counters.prefetchedBytes.add(table.end(s) - pos);
                pos = table.end(s);
            }
        } catch (IOException | RuntimeException e) {
            IOException failure = new IOException("layer " + layer + ": prefetch of [" + from + ", " + (from + length)
                    + ") failed at offset " + pos + ": " + e.getMessage(), e);
            claims.forEach((s, c) -> store.fail(s, c, failure));
            throw failure;
        } finally {
            // the spans being decoded are cached (or failed) before the prefetch counts as done
            decoding.acquireUninterruptibly(decoders);
        }
        return length;
    }

    /** Inflates, verifies and caches span {@code s} on the decode pool, or here when the pool refuses it. */
    private void decode(int s, CompletableFuture<byte[][]> claim, byte[] bytes, boolean inMemory,
                        Semaphore decoding) {
        Runnable task = () -> {
            try {
                complete(s, claim, bytes, inMemory);
            } finally {
                decoding.release();
            }
        };
        decoding.acquireUninterruptibly();
        try {
            decodePool.execute(task);
        } catch (RejectedExecutionException e) {
            task.run();
        }
    }

    private void complete(int s, CompletableFuture<byte[][]> claim, byte[] bytes, boolean inMemory) {
        try {
            if (inMemory) {
                store.complete(s, claim, bytes, 0, bytes.length);
            } else {
                store.completeAhead(s, claim, bytes, 0, bytes.length);
            }
        } catch (ChunkVerificationException | RuntimeException e) {
            log.warn("{} (prefetch goes on)", e.getMessage());
        }
    }
}
