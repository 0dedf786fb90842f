package io.jstargz.snapshotter.fs;

import io.jstargz.cache.CacheStats;
import io.jstargz.fs.LayerMount;
import io.jstargz.fs.LayerProgress;
import io.jstargz.fs.binding.OperationStats;
import io.jstargz.metrics.LatencyHistogram;
import io.jstargz.remote.RegistryMetrics;
import java.util.Collection;
import java.util.concurrent.atomic.LongAdder;

/** Totals of the layers' fetch counters that outlive the layers: unmounted layers hand theirs over here. */
final class FetchTotals {
    private final LatencyHistogram mounts = new LatencyHistogram();
    private final LongAdder onDemand = new LongAdder();
    private final LongAdder neighbours = new LongAdder();
    private final LongAdder prefetched = new LongAdder();
    private final LongAdder background = new LongAdder();
    private final LongAdder requests = new LongAdder();
    private final LongAdder failedReads = new LongAdder();
    private final LatencyHistogram onDemandFetches = new LatencyHistogram();
    private final OperationStats operations = new OperationStats();

    /** A layer was opened and mounted in {@code nanos}. */
    void mounted(long nanos) {
        mounts.recordNanos(nanos);
    }

    /** A layer was unmounted; what it fetched and served is kept here. */
    void retire(LayerMount m) {
        LayerProgress p = m.progress();
        onDemand.add(p.onDemandBytes());
        neighbours.add(p.neighbourBytes());
        prefetched.add(p.prefetchedBytes());
        background.add(p.backgroundBytes());
        requests.add(p.requests());
        failedReads.add(p.failedReads());
        onDemandFetches.add(m.onDemandFetchLatency());
        operations.add(m.operations());
    }

    /** These totals plus what the layers mounted now have fetched. */
    LayerStats with(Collection<LayerMount> live, CacheStats cache, RegistryMetrics registry) {
        long d = onDemand.sum();
        long n = neighbours.sum();
        long p = prefetched.sum();
        long b = background.sum();
        long r = requests.sum();
        long f = failedReads.sum();
        LatencyHistogram fetches = new LatencyHistogram();
        fetches.add(onDemandFetches.snapshot());
        OperationStats ops = new OperationStats();
        ops.add(operations.totals());
        for (LayerMount m : live) {
            LayerProgress x = m.progress();
            d += x.onDemandBytes();
            n += x.neighbourBytes();
            p += x.prefetchedBytes();
            b += x.backgroundBytes();
            r += x.requests();
            f += x.failedReads();
            fetches.add(m.onDemandFetchLatency());
            ops.add(m.operations());
        }
        return new LayerStats(live.size(), mounts.snapshot(), d, n, p, b, r, f, fetches.snapshot(), ops.totals(),
                cache, registry.total(), registry.requestLatency());
    }
}
