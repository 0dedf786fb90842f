package io.jstargz.snapshotter.config;

import io.jstargz.fs.binding.MountOptions;
import java.util.List;

/**
 * {@code [fuse]}: the lazily mounted layer filesystems.
 *
 * @param binding              {@code auto}, {@code kernel} or {@code jnr}: how layers are served through FUSE (auto:
 *                             the kernel binding on JDK 22+ as root, else jnr-fuse)
 * @param passthrough          keep whole local copies of fully fetched files under {@code <root>/passthrough} and let
 *                             the kernel read them directly (FUSE passthrough; kernel binding and Linux 6.9+ only)
 * @param mountTimeoutSeconds  how long Prepare waits for a layer to be opened and mounted before falling back to a
 *                             normal pull
 * @param cacheTimeoutSeconds  how long the kernel caches names and attributes (layers are immutable)
 * @param checkIntervalSeconds how long a successful registry connectivity check stays valid
 * @param readTimeoutSeconds   longest a read waits for bytes it must fetch; then it fails with EIO, and so do the
 *                             reads of the same bytes that follow at once (the kernel's re-read)
 * @param readAheadKib         the kernel's readahead on each layer mount, in KiB (0: the kernel's own, 128 KiB)
 */
public record FuseConfig(String binding, boolean passthrough, int mountTimeoutSeconds, int cacheTimeoutSeconds,
                         int checkIntervalSeconds, int readTimeoutSeconds, int readAheadKib) {
    public FuseConfig {
        ConfigChecks.require(binding != null && List.of("auto", "kernel", "jnr").contains(binding), "fuse.binding",
                "must be \"auto\", \"kernel\" or \"jnr\", not \"" + binding + "\"");
        ConfigChecks.require(mountTimeoutSeconds > 0, "fuse.mount_timeout_seconds", "must be > 0");
        ConfigChecks.require(cacheTimeoutSeconds >= 0, "fuse.cache_timeout_seconds", "must be >= 0");
        ConfigChecks.require(checkIntervalSeconds >= 0, "fuse.check_interval_seconds", "must be >= 0");
        ConfigChecks.require(readTimeoutSeconds > 0, "fuse.read_timeout_seconds", "must be > 0");
        ConfigChecks.require(readAheadKib >= 0 && readAheadKib <= MountOptions.MAX_READ_AHEAD_KIB,
                "fuse.read_ahead_kib", "must be 0.." + MountOptions.MAX_READ_AHEAD_KIB);
    }

    static FuseConfig defaults() {
        return new FuseConfig("auto", true, 30, 3600, 60, 20, MountOptions.DEFAULT_READ_AHEAD_KIB);
    }
}
