package io.jstargz.cache;

/**
 * A snapshot of a {@link ChunkCache}'s counters (monotonic since the cache was opened) and sizes (current).
 *
 * @param memoryHits        lookups answered from memory
 * @param diskHits          lookups answered from disk
 * @param misses            lookups found in neither tier
 * @param evictions         disk entries deleted to keep the disk tier under its bound
 * @param corruptEntries    disk entries found truncated or corrupt, deleted and treated as misses
 * @param diskWriteFailures chunks that could not be written to disk (they stayed in memory only)
 * @param memoryBytes       bytes of chunk data in the memory tier
 * @param diskBytes         bytes of the disk tier's files known to this process
 * @param diskEntries       number of the disk tier's files known to this process
 */
public record CacheStats(long memoryHits, long diskHits, long misses, long evictions,
                         long corruptEntries, long diskWriteFailures, long memoryBytes, long diskBytes,
                         long diskEntries) {
}
