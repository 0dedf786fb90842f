package io.jstargz.snapshotter.snapshot;

/** How much of a mounted layer's blob is in the local cache; both 0 when unknown. */
public record FetchProgress(long fetchedBytes, long totalBytes) {
    public static final FetchProgress UNKNOWN = new FetchProgress(0, 0);
}
