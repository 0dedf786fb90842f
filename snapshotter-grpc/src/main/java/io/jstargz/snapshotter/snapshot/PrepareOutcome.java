package io.jstargz.snapshotter.snapshot;

import java.util.concurrent.CompletableFuture;

/** What Prepare did with a layer ({@link RemoteLayerService#prepare}, then the snapshotter's commit). */
public sealed interface PrepareOutcome {

    /**
     * The layer is mounted lazily at the mount point, or being mounted there.
     *
     * @param tocDigest the digest of the TOC that was verified and mounted
     * @param blobSize  the compressed layer blob's size in bytes
     * @param detail    for the log: what preparing it took, e.g. {@code "index fetched in 9 ms, ready after 9 ms"}
     * @param ready     completes when the mount serves reads, which may be after Prepare returned (nothing reads
     *                  a layer before containerd asks for mounts, and {@link RemoteLayerService#check} waits for it);
     *                  fails, with the reason, if the layer could not be mounted after all
     */
    record Mounted(String tocDigest, long blobSize, String detail, CompletableFuture<Void> ready)
            implements PrepareOutcome {
    }

    /**
     * The layer is not mounted (the mount point is left empty) and containerd must pull it normally.
     *
     * @param reason why, for the log and {@code jstargz status}, e.g. {@code "blob is not eStargz: no footer"}
     */
    record Fallback(String reason) implements PrepareOutcome {
    }
}
