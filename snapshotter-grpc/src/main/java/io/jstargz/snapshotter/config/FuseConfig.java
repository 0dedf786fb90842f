package io.jstargz.snapshotter.config;

/**
 * {@code [fuse]}: the lazily mounted layer filesystems.
 *
 * @param mountTimeoutSeconds  how long Prepare waits for a layer to mount before falling back to a normal pull
 * @param attrTimeoutSeconds   how long the kernel caches attributes (layers are immutable)
 * @param entryTimeoutSeconds  how long the kernel caches name lookups
 * @param checkIntervalSeconds how long a successful registry connectivity check stays valid
 */
public record FuseConfig(int mountTimeoutSeconds, int attrTimeoutSeconds, int entryTimeoutSeconds,
                         int checkIntervalSeconds) {
    public FuseConfig {
        ConfigChecks.require(mountTimeoutSeconds > 0, "fuse.mount_timeout_seconds", "must be > 0");
        ConfigChecks.require(attrTimeoutSeconds >= 0, "fuse.attr_timeout_seconds", "must be >= 0");
        ConfigChecks.require(entryTimeoutSeconds >= 0, "fuse.entry_timeout_seconds", "must be >= 0");
        ConfigChecks.require(checkIntervalSeconds >= 0, "fuse.check_interval_seconds", "must be >= 0");
    }

    static FuseConfig defaults() {
        return new FuseConfig(30, 3600, 3600, 60);
    }
}
