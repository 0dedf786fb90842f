package io.jstargz.snapshotter.remotelayer;

/** What {@link RemoteLayerService#prepare} did with a layer. */
public sealed interface PrepareOutcome {

    /**
     * The layer is mounted lazily at the mount point.
     *
     * @param tocDigest the digest of the TOC that was verified and mounted
     * @param blobSize  the compressed layer blob's size in bytes
     * @param detail    for the log: what mounting it took, e.g. {@code "index fetched in 9 ms, mounted in 4 ms"}
     */
    record Mounted(String tocDigest, long blobSize, String detail) implements PrepareOutcome {
    }

    /**
     * The layer is not mounted (the mount point is left empty) and containerd must pull it normally.
     *
     * @param reason why, for the log and {@code jstargz status}, e.g. {@code "blob is not eStargz: no footer"}
     */
    record Fallback(String reason) implements PrepareOutcome {
    }
}
