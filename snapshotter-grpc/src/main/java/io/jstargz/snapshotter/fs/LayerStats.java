package io.jstargz.snapshotter.fs;

import io.jstargz.cache.CacheStats;
import io.jstargz.fs.binding.OperationStats;
import io.jstargz.metrics.LatencyHistogram;
import io.jstargz.remote.RegistryMetrics;
import java.util.Map;

/**
 * What the lazily pulled layers did since the daemon started (unmounted layers included), for metrics.
 *
 * @param mountedLayers   layers mounted now
 * @param mountLatency    time layers took to open and mount (by Prepare or at a restart), from asking for the index
 *                        to the mount serving
 * @param onDemandBytes   compressed bytes fetched for reads that missed the cache
 * @param neighbourBytes  compressed bytes fetched along with those reads (the files stored after a missed file)
 * @param prefetchedBytes compressed bytes fetched by prefetches
 * @param backgroundBytes compressed bytes fetched by background fetches
 * @param fetchRequests   requests the fetchers sent
 * @param failedReads     reads answered with EIO
 * @param onDemandLatency time the fetches for reads that missed the cache took
 * @param fuseOperations  FUSE requests the mounts served, by operation, with the time their handlers took
 * @param cache           the chunk cache's counters
 * @param registry        the registry client's traffic, all hosts
 * @param registryLatency time registries took to answer the client's requests
 */
public record LayerStats(int mountedLayers, LatencyHistogram.Snapshot mountLatency, long onDemandBytes,
                         long neighbourBytes, long prefetchedBytes, long backgroundBytes, long fetchRequests,
                         long failedReads, LatencyHistogram.Snapshot onDemandLatency,
                         Map<String, OperationStats.Totals> fuseOperations, CacheStats cache,
                         RegistryMetrics.HostStats registry, LatencyHistogram.Snapshot registryLatency) {
}
