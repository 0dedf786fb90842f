package io.jstargz.fs;

import io.jstargz.fs.LayerProgress.Phase;
import io.jstargz.metrics.LatencyHistogram;
import java.util.concurrent.atomic.LongAdder;

/** Counters of one layer's fetching, shared by its fetchers. */
final class FetchCounters {
    final LongAdder onDemandBytes = new LongAdder();
    final LongAdder neighbourBytes = new LongAdder();
    final LongAdder prefetchedBytes = new LongAdder();
    final LongAdder backgroundBytes = new LongAdder();
    final LongAdder requests = new LongAdder();
    final LongAdder failedReads = new LongAdder();
    /** How long the fetches for reads that missed the cache took, failed ones included. */
    final LatencyHistogram onDemandFetches = new LatencyHistogram();
    volatile Phase prefetch = Phase.PENDING;
    volatile Phase backgroundFetch = Phase.PENDING;
    volatile long prefetchSize;
}
