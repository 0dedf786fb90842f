package io.jstargz.snapshotter.config;

/**
 * {@code [cache]}: the chunk cache of remote layers.
 *
 * @param dir            cache directory; {@code ""} means {@code <root>/cache}
 * @param maxDiskBytes   disk the cache may use before it evicts (least recently used first)
 * @param maxMemoryBytes memory for recently read chunks (the kernel caches the files of a mounted layer, and the disk
 *                       tier's files are in the page cache: this tier only saves the copies between them)
 */
public record CacheConfig(String dir, long maxDiskBytes, long maxMemoryBytes) {
    public CacheConfig {
        ConfigChecks.require(maxDiskBytes > 0, "cache.max_disk_bytes", "must be > 0");
        ConfigChecks.require(maxMemoryBytes >= 0, "cache.max_memory_bytes", "must be >= 0");
    }

    static CacheConfig defaults() {
        return new CacheConfig("", 10L << 30, 16L << 20);
    }
}
