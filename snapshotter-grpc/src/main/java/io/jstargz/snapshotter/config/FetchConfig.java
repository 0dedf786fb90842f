package io.jstargz.snapshotter.config;

import io.jstargz.fs.LayerMountOptions;

/**
 * {@code [fetch]}: what is fetched before it is read.
 *
 * @param prefetch            at mount, fetch the layer's prioritized files (up to the prefetch landmark) in one
 *                            request
 * @param backgroundFetch     afterwards, fetch the rest of the layer at low priority
 * @param prefetchWaitSeconds    the first use of a layer by a container waits this long at most for its prefetch
 *                               to finish (0: never waits)
 * @param backgroundQuietSeconds background fetches wait until containerd has neither prepared a layer nor checked
 *                               one for a container for this long, so they do not slow containers that are starting
 * @param neighbourBytes         a read that misses a small file also fetches the small files stored after it in its
 *                               directory, in the same request, up to this many compressed bytes (0: off)
 * @param sharedLibraries        the first open of a dynamically linked program fetches its interpreter and shared
 *                               libraries at once, rather than as the dynamic loader opens them one by one
 */
public record FetchConfig(boolean prefetch, boolean backgroundFetch, int prefetchWaitSeconds,
                          int backgroundQuietSeconds, long neighbourBytes, boolean sharedLibraries) {
    public FetchConfig {
        ConfigChecks.require(prefetchWaitSeconds >= 0, "fetch.prefetch_wait_seconds", "must be >= 0");
        ConfigChecks.require(backgroundQuietSeconds >= 0, "fetch.background_quiet_seconds", "must be >= 0");
        ConfigChecks.require(neighbourBytes >= 0, "fetch.neighbour_bytes", "must be >= 0");
    }

    static FetchConfig defaults() {
        return new FetchConfig(true, true, 10, 5, LayerMountOptions.DEFAULT_NEIGHBOUR_BYTES, true);
    }
}
