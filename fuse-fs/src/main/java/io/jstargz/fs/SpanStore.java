package io.jstargz.fs;

import io.jstargz.cache.CacheKey;
import io.jstargz.cache.ChunkCache;
import io.jstargz.estargz.ChunkDecoder;
import io.jstargz.estargz.ChunkVerificationException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.BitSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The state of a layer's spans: which are cached, which are being fetched, and how fetched bytes become cached
 * chunks. Every fetcher (on-demand reads, prefetch, background fetch) claims a span before fetching it, so a span is
 * fetched once however many readers want it, and completes the claim with the span's verified chunks, which waiting
 * readers take directly.
 *
 * <p>A fetch that ran out of time (a stalled registry, abandoned at the read bound) is remembered for
 * {@link #FAILURE_MEMORY}: the failed read is followed at once by the kernel's re-read of the same page, which would
 * otherwise fetch again and wait a second full bound; within the memory it fails at once with the same cause, and so
 * do readahead and neighbours. Other failures (refused, 5xx after retries) fail fast anyway and are not remembered, so
 * a registry that is back is used at once.
 */
final class SpanStore {

    /** A claim on a span: {@code owned} means the caller must fetch it and then call complete or fail. */
    record Claim(CompletableFuture<byte[][]> future, boolean owned) {
    }

    private record Failure(Throwable cause, long atNanos) {
    }

    /** Long enough for the re-reads that follow a failed read, short enough that a recovered registry is used again. */
    static final Duration FAILURE_MEMORY = Duration.ofSeconds(1);

    private final SpanTable table;
    private final ChunkDecoder decoder;
    private final ChunkCache cache;
    private final ConcurrentHashMap<Integer, CompletableFuture<byte[][]>> inflight = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Integer, Failure> failed = new ConcurrentHashMap<>();
    private final BitSet covered;
    private long coveredBytes;

    SpanStore(SpanTable table, ChunkDecoder decoder, ChunkCache cache) {
        this.table = table;
        this.decoder = decoder;
        this.cache = cache;
        this.covered = new BitSet(table.spanCount());
    }

    SpanTable table() {
        return table;
    }

    /**
     * Claims span {@code s} for fetching, or joins the fetch already running. A span whose fetch finished between
     * the caller's cache miss and this claim is answered from the cache, so it is never fetched twice.
     */
    Claim claim(int s) {
        Failure f = recentFailure(s);
        if (f != null) {
            return new Claim(CompletableFuture.failedFuture(f.cause()), false);
        }
        CompletableFuture<byte[][]> mine = new CompletableFuture<>();
        CompletableFuture<byte[][]> running = inflight.putIfAbsent(s, mine);
        if (running != null) {
            return new Claim(running, false);
        }
        byte[][] cached = isCovered(s) ? fromCache(s) : null;
        if (cached != null) {
            mine.complete(cached);
            inflight.remove(s, mine);
            return new Claim(mine, false);
        }
        return new Claim(mine, true);
    }

    /** The fetch of span {@code s} under way, or null. */
    CompletableFuture<byte[][]> inFlight(int s) {
        return inflight.get(s);
    }

    /** Claims span {@code s} only if nobody fetches it and it is not cached; null otherwise. */
    CompletableFuture<byte[][]> claimIfFree(int s) {
        if (recentFailure(s) != null) {
            return null;
        }
        CompletableFuture<byte[][]> mine = new CompletableFuture<>();
        if (inflight.putIfAbsent(s, mine) != null) {
            return null;
        }
        byte[][] cached = isCached(s) ? fromCache(s) : null;
        if (cached != null) {
            mine.complete(cached); // a reader may have joined in the meantime
            inflight.remove(s, mine);
            return null;
        }
        return mine;
    }

    /** The span's chunks from the cache, or null if one of them is not there (any more). */
    private byte[][] fromCache(int s) {
        byte[][] out = new byte[table.chunksIn(s)][];
        for (int i = 0; i < out.length; i++) {
            out[i] = cache.getIfPresent(table.key(table.chunkOf(s, i))).orElse(null);
            if (out[i] == null) {
                return null;
            }
        }
        return out;
    }

    /**
     * Completes an owned claim from the span's compressed bytes {@code buf[off, off + len)}: decodes and verifies each
     * chunk, caches it, records the span as cached and hands the chunks to the waiting readers.
     *
     * @throws ChunkVerificationException if a chunk does not verify; the claim then fails with it
     */
    byte[][] complete(int s, CompletableFuture<byte[][]> claim, byte[] buf, int off, int len)
            throws ChunkVerificationException {
        return complete(s, claim, buf, off, len, true);
    }

    /**
     * Completes an owned claim of the background fetch, or of a prefetch beyond its start, as {@link #complete} does,
     * but caches its chunks on disk only ({@link ChunkCache#putOnDisk}): readers that joined the claim get the chunks
     * from it, later ones from disk.
     */
    void completeAhead(int s, CompletableFuture<byte[][]> claim, byte[] buf, int off, int len)
            throws ChunkVerificationException {
        complete(s, claim, buf, off, len, false);
    }

    private byte[][] complete(int s, CompletableFuture<byte[][]> claim, byte[] buf, int off, int len, boolean inMemory)
            throws ChunkVerificationException {
        byte[][] chunks;
        try {
            chunks = decode(s, buf, off, len, inMemory);
        } catch (ChunkVerificationException | RuntimeException e) {
            fail(s, claim, e);
            throw e;
        }
        failed.remove(s);
        claim.complete(chunks);
        inflight.remove(s, claim);
        return chunks;
    }

    /**
     * Fails an owned claim: its waiting readers get {@code cause}, and when it is a timeout so do the readers of the
     * next {@link #FAILURE_MEMORY}; the reader after that fetches again.
     */
    void fail(int s, CompletableFuture<byte[][]> claim, Throwable cause) {
        if (timedOut(cause)) {
            failed.put(s, new Failure(cause, System.nanoTime()));
        }
        claim.completeExceptionally(cause);
        inflight.remove(s, claim);
    }

    private static boolean timedOut(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof InterruptedIOException) {
                return true;
            }
        }
        return false;
    }

    /** The failure of span {@code s} within {@link #FAILURE_MEMORY}, or null. */
    private Failure recentFailure(int s) {
        Failure f = failed.get(s);
        if (f == null) {
            return null;
        }
        if (System.nanoTime() - f.atNanos() < FAILURE_MEMORY.toNanos()) {
            return f;
        }
        failed.remove(s, f);
        return null;
    }

    private byte[][] decode(int s, byte[] buf, int off, int len, boolean inMemory) throws ChunkVerificationException {
        byte[][] out = decoder.decodeSpan(s, buf, off, len);
        for (int i = 0; i < out.length; i++) {
            CacheKey key = table.key(table.chunkOf(s, i));
            if (inMemory) {
                cache.put(key, out[i]);
            } else {
                cache.putOnDisk(key, out[i]);
            }
        }
        markCovered(s);
        return out;
    }

    /** True when every chunk of span {@code s} is cached (checked without reading them); records it if so. */
    boolean isCached(int s) {
        if (isCovered(s)) {
            return true;
        }
        for (int i = 0; i < table.chunksIn(s); i++) {
            if (!cache.contains(table.key(table.chunkOf(s, i)))) {
                return false;
            }
        }
        markCovered(s);
        return true;
    }

    synchronized boolean isCovered(int s) {
        return covered.get(s);
    }

    private synchronized void markCovered(int s) {
        if (!covered.get(s)) {
            covered.set(s);
            coveredBytes += table.length(s);
        }
    }

    /** Compressed bytes of the spans known to be cached. */
    synchronized long coveredBytes() {
        return coveredBytes;
    }
}
