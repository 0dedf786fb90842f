package io.jstargz.snapshotter.config;

/**
 * {@code [memory]}: what the daemon's heap is sized for. The launcher starts the JVM with the bound that
 * {@link MemoryBudget} derives from this and {@code [cache] max_memory_bytes}.
 *
 * @param indexEntries index entries (files, directories, symlinks and chunks) of the layers the daemon holds open at
 *                     once, mounted or about to be: the python 3.11 base layer has 6,650
 */
public record MemoryConfig(long indexEntries) {
    public MemoryConfig {
        ConfigChecks.require(indexEntries > 0, "memory.index_entries", "must be > 0");
    }

    static MemoryConfig defaults() {
        return new MemoryConfig(100_000);
    }
}
