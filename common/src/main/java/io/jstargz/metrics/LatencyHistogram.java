package io.jstargz.metrics;

import java.util.Arrays;
import java.util.concurrent.atomic.LongAdder;

/**
 * How long an operation took, as counts in fixed buckets, so an operator can alert on a percentile. Built on
 * {@link LongAdder}s rather than on a metrics library's histogram: the modules that time things (the FUSE layers, the
 * registry client, the snapshotter) stay free of the exporter, recording costs one {@link System#nanoTime()} and two
 * uncontended additions, and totals of layers that are gone can be {@linkplain #add added} to a daemon-wide one.
 *
 * <p>The bounds are the same for every histogram (100 µs to 60 s, roughly ×2.5 apart), which covers a cached read as
 * well as a slow registry; a metrics endpoint reads {@link #snapshot()} when scraped.
 */
public final class LatencyHistogram {

    /** Upper bounds of the buckets in seconds; a last bucket takes everything slower. */
    public static final double[] BOUNDS_SECONDS = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
        0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

    private static final long[] BOUNDS_NANOS = Arrays.stream(BOUNDS_SECONDS).mapToLong(s -> Math.round(s * 1e9))
            .toArray();

    /**
     * The histogram at one moment.
     *
     * @param counts observations per bucket (not cumulative): one per {@link #BOUNDS_SECONDS} entry, then the
     *               slower ones
     * @param nanos  the observations' sum
     */
    public record Snapshot(long[] counts, long nanos) {

        /** Nothing observed. */
        public static final Snapshot EMPTY = new Snapshot(new long[BOUNDS_SECONDS.length + 1], 0);

        public Snapshot {
            if (counts.length != BOUNDS_SECONDS.length + 1) {
                throw new IllegalArgumentException("a latency snapshot has " + (BOUNDS_SECONDS.length + 1)
                        + " buckets, got " + counts.length);
            }
            counts = counts.clone();
        }

        @Override
        public long[] counts() {
            return counts.clone();
        }

        /** Observations in all buckets. */
        public long count() {
            return Arrays.stream(counts).sum();
        }

        /** The observations' sum in seconds. */
        public double seconds() {
            return nanos / 1e9;
        }
    }

    private final LongAdder[] counts = new LongAdder[BOUNDS_SECONDS.length + 1];
    private final LongAdder nanos = new LongAdder();

    public LatencyHistogram() {
        Arrays.setAll(counts, i -> new LongAdder());
    }

    /** Records an operation that started at {@code startNanos} ({@link System#nanoTime()}) and ends now. */
    public void record(long startNanos) {
        recordNanos(System.nanoTime() - startNanos);
    }

    /** Records an operation that took {@code elapsed} nanoseconds. */
    public void recordNanos(long elapsed) {
        long n = Math.max(0, elapsed);
        int i = Arrays.binarySearch(BOUNDS_NANOS, n);
        counts[i >= 0 ? i : -i - 1].increment();
        nanos.add(n);
    }

    /** Adds what another histogram observed (e.g. a layer that was unmounted). */
    public void add(Snapshot s) {
        long[] c = s.counts;
        for (int i = 0; i < c.length; i++) {
            counts[i].add(c[i]);
        }
        nanos.add(s.nanos());
    }

    /** The counts now. */
    public Snapshot snapshot() {
        return new Snapshot(Arrays.stream(counts).mapToLong(LongAdder::sum).toArray(), nanos.sum());
    }
}
