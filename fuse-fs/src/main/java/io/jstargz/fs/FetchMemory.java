package io.jstargz.fs;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The heap that fetches in flight may hold, across every layer a daemon mounts: a request's compressed bytes and the
 * chunks decoded from them, from before the request until the chunks are handed to the chunk cache (whose tiers are
 * bounded on their own). Each layer has its own fetch threads and background workers, so without a bound shared by
 * all layers the bytes in flight grow with the number of layers mounted: 20 layers fetched at once with 16 readers
 * ran a 88 MiB heap out of memory, and a fetch that died of it left its readers waiting for their read bound.
 *
 * <p>Reads and the background fetch draw on separate shares, so that the background, which has no deadline and
 * would queue ahead of readers on one shared bound, never makes a read wait: a read waits only for other reads'
 * fetches, and no longer than its own deadline. A request larger than a share takes the whole share.
 */
public final class FetchMemory {
    /** No bound: a single layer mounted on its own (tests, tools). */
    public static final FetchMemory UNBOUNDED = new FetchMemory(0, 0);
    private static final long UNIT = 1024;

    private final Semaphore reads;
    private final Semaphore background;
    private final int readUnits;
    private final int backgroundUnits;

    /**
     * @param readBytes       bytes the fetches of readers (and their read-ahead) may hold at once; 0: unbounded
     * @param backgroundBytes bytes the background fetch may hold at once, across all layers; 0: unbounded
     */
    public FetchMemory(long readBytes, long backgroundBytes) {
        if (readBytes < 0 || backgroundBytes < 0) {
            throw new IllegalArgumentException("fetch memory must be >= 0, got " + readBytes + " and "
                    + backgroundBytes);
        }
        this.readUnits = units(readBytes);
        this.backgroundUnits = units(backgroundBytes);
        this.reads = readUnits == 0 ? null : new Semaphore(readUnits);
        this.background = backgroundUnits == 0 ? null : new Semaphore(backgroundUnits);
    }

    /** Bytes held for fetches in flight; closing gives them back (once). */
    public static final class Held implements AutoCloseable {
        private static final Held NOTHING = new Held(null, 0);
        private final Semaphore from;
        private final int units;
        private boolean released;

        private Held(Semaphore from, int units) {
            this.from = from;
            this.units = units;
        }

        @Override
        public synchronized void close() {
            if (!released && from != null) {
                released = true;
                from.release(units);
            }
        }
    }

    /** Holds {@code bytes} for a reader's fetch, waiting at most {@code timeoutNanos}; null if they did not free up. */
    Held forRead(long bytes, long timeoutNanos) throws InterruptedException {
        if (reads == null) {
            return Held.NOTHING;
        }
        int u = clamp(bytes, readUnits);
        return reads.tryAcquire(u, Math.max(0, timeoutNanos), TimeUnit.NANOSECONDS) ? new Held(reads, u) : null;
    }

    /** Holds {@code bytes} for a background batch, waiting as long as it takes. */
    Held forBackground(long bytes) throws InterruptedException {
        if (background == null) {
            return Held.NOTHING;
        }
        int u = clamp(bytes, backgroundUnits);
        background.acquire(u);
        return new Held(background, u);
    }

    private static int clamp(long bytes, int share) {
        return (int) Math.max(1, Math.min(share, (bytes + UNIT - 1) / UNIT));
    }

    private static int units(long bytes) {
        return (int) Math.min(Integer.MAX_VALUE, (bytes + UNIT - 1) / UNIT);
    }
}
