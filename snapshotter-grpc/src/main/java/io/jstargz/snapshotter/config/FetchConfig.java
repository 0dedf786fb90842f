package io.jstargz.snapshotter.config;

/**
 * {@code [fetch]}: what is fetched before it is read.
 *
 * @param prefetch        at mount, fetch the layer's prioritized files (up to the prefetch landmark) in one request
 * @param backgroundFetch afterwards, fetch the rest of the layer at low priority
 */
public record FetchConfig(boolean prefetch, boolean backgroundFetch) {
    static FetchConfig defaults() {
        return new FetchConfig(true, true);
    }
}
