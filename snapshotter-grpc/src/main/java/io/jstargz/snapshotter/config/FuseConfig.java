package io.jstargz.snapshotter.config;

/**
 * {@code [fuse]}: the lazily mounted layer filesystems.
 *
 * @param mountTimeoutSeconds  how long Prepare waits for a layer to be opened and mounted before falling back to a
 *                             normal pull
 * @param cacheTimeoutSeconds  how long the kernel caches names and attributes (layers are immutable)
 * @param checkIntervalSeconds how long a successful registry connectivity check stays valid
 */
public record FuseConfig(int mountTimeoutSeconds, int cacheTimeoutSeconds, int checkIntervalSeconds) {
    public FuseConfig {
        ConfigChecks.require(mountTimeoutSeconds > 0, "fuse.mount_timeout_seconds", "must be > 0");
        ConfigChecks.require(cacheTimeoutSeconds >= 0, "fuse.cache_timeout_seconds", "must be >= 0");
        ConfigChecks.require(checkIntervalSeconds >= 0, "fuse.check_interval_seconds", "must be >= 0");
    }

    static FuseConfig defaults() {
        return new FuseConfig(30, 3600, 60);
    }
}
