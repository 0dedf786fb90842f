package io.jstargz.snapshotter.config;

/**
 * {@code [cache]}: the chunk cache of remote layers.
 *
 * @param dir            cache directory; {@code ""} means {@code <root>/cache}
 * @param maxDiskBytes   disk the cache may use before it evicts (least recently used first)
 * @param maxMemoryBytes memory for recently read chunks (the kernel caches the files of a mounted layer, and the disk
 *                       tier's files are in the page cache: this tier only saves the copies between them)
 * @param minFreeBytes   free bytes the cache leaves on its filesystem, evicting to keep them
 * @param minFreePercent percent of its filesystem the cache leaves free; the larger of the two applies
 */
public record CacheConfig(String dir, long maxDiskBytes, long maxMemoryBytes, long minFreeBytes, int minFreePercent) {
    public CacheConfig {
        ConfigChecks.require(maxDiskBytes > 0, "cache.max_disk_bytes", "must be > 0");
        ConfigChecks.require(maxMemoryBytes >= 0, "cache.max_memory_bytes", "must be >= 0");
        ConfigChecks.require(minFreeBytes >= 0, "cache.min_free_bytes", "must be >= 0");
        ConfigChecks.require(minFreePercent >= 0 && minFreePercent < 100, "cache.min_free_percent",
                "must be 0 to 99");
    }

    static CacheConfig defaults() {
        return new CacheConfig("", 10L << 30, 16L << 20, 512L << 20, 5);
    }
}
