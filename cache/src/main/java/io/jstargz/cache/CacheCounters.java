package io.jstargz.cache;

import java.util.concurrent.atomic.LongAdder;

/** The event counters behind {@link CacheStats}; LongAdders because every read of the file system bumps one. */
final class CacheCounters {
    final LongAdder memoryHits = new LongAdder();
    final LongAdder diskHits = new LongAdder();
    final LongAdder misses = new LongAdder();
    final LongAdder evictions = new LongAdder();
    final LongAdder corruptEntries = new LongAdder();
    final LongAdder diskWriteFailures = new LongAdder();

    CacheStats snapshot(long memoryBytes, long diskBytes, long diskEntries) {
        return new CacheStats(memoryHits.sum(), diskHits.sum(), misses.sum(),
                evictions.sum(), corruptEntries.sum(), diskWriteFailures.sum(), memoryBytes, diskBytes, diskEntries);
    }
}
