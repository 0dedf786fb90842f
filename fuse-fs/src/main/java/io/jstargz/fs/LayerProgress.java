package io.jstargz.fs;

/**
 * How much of a mounted layer is local, and what fetched it. For {@code jstargz status} and metrics.
 *
 * @param layerSize         the blob's size in bytes
 * @param fetchedBytes      bytes of the blob that no longer need fetching: the TOC (read when the layer was opened),
 *                          the bytes that hold no file contents, and every compressed span whose chunks are cached;
 *                          equals {@code layerSize} once the whole layer is local
 * @param prefetchSize      size of the prioritized region fetched at mount (0 when there is none)
 * @param prefetch          state of the prefetch
 * @param backgroundFetch   state of the background fetch
 * @param onDemandBytes     compressed bytes fetched for reads that missed the cache
 * @param neighbourBytes    compressed bytes fetched along with those reads: the compressed members after a missed
 *                          file's end, up to {@link LayerMountOptions#neighbourBytes()} per request
 * @param prefetchedBytes   compressed bytes fetched by the prefetch
 * @param backgroundBytes   compressed bytes fetched by the background fetch
 * @param requests          fetch requests sent
 * @param failedReads       reads answered with EIO (a fetch failed after its retries, or bytes did not verify)
 */
public record LayerProgress(long layerSize, long fetchedBytes, long prefetchSize, Phase prefetch,
                            Phase backgroundFetch, long onDemandBytes, long neighbourBytes, long prefetchedBytes,
                            long backgroundBytes, long requests, long failedReads) {

    /** The state of a prefetch or background fetch. */
    public enum Phase {
        /** Turned off, or nothing to do (a layer without a prioritized region). */
        DISABLED,
        /** Waiting to start (the background fetch waits for the prefetch). */
        PENDING,
        RUNNING,
        DONE,
        /** Stopped by an error; reads still fetch what they need. */
        FAILED,
        /** Stopped because the layer was unmounted. */
        STOPPED
    }

    /** {@code fetchedBytes} as a percentage of {@code layerSize}. */
    public double fetchedPercent() {
        return layerSize == 0 ? 100.0 : 100.0 * fetchedBytes / layerSize;
    }
}
