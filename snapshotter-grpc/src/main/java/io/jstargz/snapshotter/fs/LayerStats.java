package io.jstargz.snapshotter.fs;

import io.jstargz.cache.CacheStats;
import io.jstargz.fs.binding.OperationStats;
import io.jstargz.remote.RegistryMetrics;
import java.util.Map;

/**
 * What the lazily pulled layers did since the daemon started (unmounted layers included), for metrics.
 *
 * @param mountedLayers   layers mounted now
 * @param mounts          layers opened and mounted (by Prepare or at a restart)
 * @param mountSeconds    time those took, from asking for the index to the mount serving
 * @param onDemandBytes   compressed bytes fetched for reads that missed the cache
 * @param neighbourBytes  compressed bytes fetched along with those reads (the files stored after a missed file)
 * @param prefetchedBytes compressed bytes fetched by prefetches
 * @param backgroundBytes compressed bytes fetched by background fetches
 * @param fetchRequests   requests the fetchers sent
 * @param failedReads     reads answered with EIO
 * @param fuseOperations  FUSE requests the mounts served, by operation, with the time their handlers took
 * @param cache           the chunk cache's counters
 * @param registry        the registry client's traffic, all hosts
 */
public record LayerStats(int mountedLayers, long mounts, double mountSeconds, long onDemandBytes,
                         long neighbourBytes, long prefetchedBytes, long backgroundBytes, long fetchRequests,
                         long failedReads, Map<String, OperationStats.Totals> fuseOperations, CacheStats cache,
                         RegistryMetrics.HostStats registry) {
}
