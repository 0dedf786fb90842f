package io.jstargz.fs;

import io.jstargz.concurrent.BackgroundGate;
import io.jstargz.estargz.ByteRange;
import io.jstargz.estargz.ChunkVerificationException;
import io.jstargz.estargz.RemoteBlob;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches the rest of a layer at low priority: a few workers take batches of adjacent uncached spans in blob order
 * and fetch each batch in one request. Before each request a worker waits until no on-demand read is waiting for a
 * fetch, so the background never delays a container's reads by more than one batch. A failing batch is retried with
 * backoff; after {@link #MAX_FAILURES} failures in a row the background fetch gives up (reads still fetch what they
 * need). A worker takes the memory its batch will hold from the daemon's {@link FetchMemory} before it claims the
 * batch's spans, so that a reader that wants one of them never waits for memory the background waits for.
 */
final class BackgroundFetcher {
    private static final Logger log = LoggerFactory.getLogger(BackgroundFetcher.class);
    /** Compressed bytes per request. */
    static final long BATCH_BYTES = 2L << 20;
    /**
     * What a batch holds in memory, its compressed bytes and the chunks decoded from them, at most (a single span may
     * hold more: it is fetched on its own).
     */
    static final long BATCH_MEMORY = 2 * BATCH_BYTES;
    static final int MAX_FAILURES = 5;
    private static final long QUIET_CHECK_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long MAX_BACKOFF_MILLIS = 30_000;

    private final String layer;
    private final SpanStore store;
    private final SpanTable table;
    private final RemoteBlob blob;
    private final DemandGate gate;
    private final BackgroundGate holdBack;
    private final FetchMemory memory;
    private final FetchCounters counters;
    private int cursor;
    private int passes;
    private int failures;
    private volatile boolean stopped;

    BackgroundFetcher(String layer, SpanStore store, RemoteBlob blob, DemandGate gate, BackgroundGate holdBack,
                      FetchMemory memory, FetchCounters counters) {
        this.layer = layer;
        this.store = store;
        this.table = store.table();
        this.blob = blob;
        this.gate = gate;
        this.holdBack = holdBack;
        this.memory = memory;
        this.counters = counters;
    }

    /** Runs one worker until nothing is left, the fetch is stopped, or it fails for good. */
    void work() throws IOException, InterruptedException {
        while (!stopped) {
            holdBack.awaitOpen();
            if (!gate.awaitQuiet(QUIET_CHECK_NANOS)) {
                continue;
            }
            try (FetchMemory.Held held = memory.forBackground(BATCH_MEMORY)) {
                Batch batch = nextBatch();
                if (batch == null) {
                    held.close();
                    if (awaitOtherFetches()) {
                        continue;
                    }
                    return;
                }
                fetch(batch);
                synchronized (this) {
                    failures = 0;
                }
            } catch (IOException e) {
                int n;
                synchronized (this) {
                    n = ++failures;
                }
                if (n >= MAX_FAILURES) {
                    throw new IOException("layer " + layer + ": background fetch gave up after " + n
                            + " failures in a row: " + e.getMessage(), e);
                }
                long backoff = Math.min(MAX_BACKOFF_MILLIS, 500L << n);
                log.debug("layer {}: background fetch failed ({}), retrying in {} ms", layer, e.getMessage(), backoff);
                Thread.sleep(ThreadLocalRandom.current().nextLong(backoff / 2, backoff + 1)); // deliberate backoff
            }
        }
    }

    /**
     * When no span is left to claim, waits for the fetches others run (readers, read-ahead, the other workers) of
     * spans not cached yet, and returns true if there were any: a span whose fetch fails is fetched by a next pass.
     * Without it, a worker that found every span it had not fetched claimed by readers ended with the layer far from
     * local, and never said when it was.
     */
    private boolean awaitOtherFetches() {
        List<CompletableFuture<byte[][]>> others = new ArrayList<>();
        for (int s = 0; s < table.spanCount(); s++) {
            CompletableFuture<byte[][]> f = store.inFlight(s);
            if (f != null && !store.isCached(s)) {
                others.add(f.exceptionally(e -> null));
            }
        }
        if (others.isEmpty()) {
            return false;
        }
        // each is bounded: a reader's fetch by the read bound, a worker's by the request timeout
        CompletableFuture.allOf(others.toArray(CompletableFuture[]::new)).join();
        synchronized (this) {
            cursor = 0;
            passes = 0;
        }
        return true;
    }

    /** Stops the workers after their current request. */
    void stop() {
        stopped = true;
    }

    private record Batch(List<Integer> spans, List<CompletableFuture<byte[][]>> claims) {
        ByteRange range(SpanTable t) {
            long from = t.start(spans.get(0));
            return new ByteRange(from, t.end(spans.get(spans.size() - 1)) - from);
        }
    }

    /**
     * Claims the next run of adjacent uncached spans, at most {@link #BATCH_BYTES} holding at most
     * {@link #BATCH_MEMORY} (at least one span). A second pass
     * picks up spans skipped because another fetch had them when their failures left them uncached.
     */
    private synchronized Batch nextBatch() {
        List<Integer> spans = new ArrayList<>();
        List<CompletableFuture<byte[][]>> claims = new ArrayList<>();
        long holds = 0;
        while (true) {
            if (cursor >= table.spanCount()) {
                if (!spans.isEmpty() || ++passes >= 2) {
                    break;
                }
                cursor = 0;
            }
            int s = cursor;
            boolean adjacent = spans.isEmpty() || table.start(s) == table.end(spans.get(spans.size() - 1));
            boolean fits = spans.isEmpty() || table.end(s) - table.start(spans.get(0)) <= BATCH_BYTES
                    && holds + table.fetchBytes(s) <= BATCH_MEMORY;
            if (!adjacent || !fits) {
                break;
            }
            cursor++;
            if (store.isCached(s)) {
                if (spans.isEmpty()) {
                    continue;
                }
                break;
            }
            CompletableFuture<byte[][]> claim = store.claimIfFree(s);
            if (claim == null) {
                if (spans.isEmpty()) {
                    continue;
                }
                break;
            }
            spans.add(s);
            claims.add(claim);
            holds += table.fetchBytes(s);
        }
        return spans.isEmpty() ? null : new Batch(spans, claims);
    }

    private void fetch(Batch batch) throws IOException {
        ByteRange range = batch.range(table);
        byte[] bytes;
        try {
            counters.requests.increment();
            bytes = blob.read(range.offset(), (int) range.length());
        } catch (IOException | RuntimeException e) {
            IOException failure = new IOException("layer " + layer + ": background fetch of " + range + " failed: "
                    + e.getMessage(), e);
            for (int i = 0; i < batch.spans.size(); i++) {
                store.fail(batch.spans.get(i), batch.claims.get(i), failure);
            }
            synchronized (this) {
                cursor = Math.min(cursor, batch.spans.get(0)); // fetch these again
            }
            throw failure;
        }
        counters.backgroundBytes.add(range.length());
        for (int i = 0; i < batch.spans.size(); i++) {
            int s = batch.spans.get(i);
            try {
                store.completeAhead(s, batch.claims.get(i), bytes, (int) (table.start(s) - range.offset()),
                        (int) table.length(s));
            } catch (ChunkVerificationException | RuntimeException e) {
                log.warn("{} (background fetch goes on)", e.getMessage());
            }
        }
    }
}
