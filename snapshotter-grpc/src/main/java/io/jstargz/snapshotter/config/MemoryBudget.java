package io.jstargz.snapshotter.config;

import java.util.List;

/**
 * The daemon's memory, set from its configuration before its JVM starts ({@code jstargz serve --jvm-options} prints
 * the options, the launcher passes them on): a heap bounded by what the work holds, and bounds on what grows outside
 * it.
 *
 * <p>The heap holds the memory tier of the chunk cache, the chunks queued for the disk writer, the fetches in flight
 * (bounded across all layers, {@code io.jstargz.fs.FetchMemory}), the indexes of open layers (bytes per entry measured on the python base layer), and the daemon's own objects with room for a TOC being
 * parsed. The bound is a ceiling, not a reservation: the serial collector commits the old generation as it fills and
 * gives back what is free after a full collection. The young generation is fixed: an eden that holds what a pull
 * allocates, and survivor spaces of 8 MiB, so that what one Prepare or one fetched batch holds for a moment (a TOC and
 * its parse, a few chunks) dies there instead of being promoted and growing the old generation until the next full
 * collection.
 *
 * <p>Outside the heap: metaspace and the code cache are bounded well above what the daemon uses (7 MiB and 20 MiB
 * measured), NIO's per-thread temporary buffers are not kept beyond 256 KiB (a disk-tier read of a 4 MiB chunk would
 * otherwise keep 4 MiB per thread that ever read one), and grpc-netty's buffer pool gets one small arena: containerd's
 * calls are a few KiB.
 *
 * @param memoryTierBytes the chunk cache's memory tier ({@code cache.max_memory_bytes})
 * @param indexEntries    index entries of open layers ({@code memory.index_entries})
 */
public record MemoryBudget(long memoryTierBytes, long indexEntries) {
    /** Chunks waiting for the disk writer; beyond it, the thread that fetched a chunk writes it. */
    public static final long WRITE_QUEUE_BYTES = 16L << 20;
    /**
     * Fetches in flight for readers, across all layers (compressed bytes and the chunks decoded from them, until the
     * cache has them): four 2 MiB chunks of incompressible data at once, or many small files.
     */
    public static final long READ_FETCH_BYTES = 16L << 20;
    /** Background fetches in flight across all layers: two batches of 2 MiB and their chunks. */
    public static final long BACKGROUND_FETCH_BYTES = 8L << 20;
    /**
     * Heap per index entry of the compact index: 125 B measured on the 6,650-entry python base layer, 149 B on a
     * generated 100,000-entry layer (docs/benchmarks.md, "Layer index").
     */
    static final long INDEX_BYTES_PER_ENTRY = 150;
    /**
     * The daemon's own heap after its warm-up (21 MiB live), a large TOC being parsed, and 16 MiB of the eden a pull
     * fills ({@link #YOUNG_BYTES}), which the terms below do not hold: with them the old generation keeps 88 MiB.
     */
    static final long BASE_BYTES = 64L << 20;
    /**
     * Eden 32 MiB, survivor spaces 8 MiB each. What the fetches in flight hold at a young collection (up to the 8 MiB
     * of the background fetch) fits a survivor space and dies there: with a young generation of 16 MiB, each collection
     * during the python image's background fetch promoted 2-5 MiB of it, and the old generation grew by 50 MiB of
     * garbage. The eden holds most of what a lazy pull of the python image allocates (tails, TOCs, indexes, its
     * prefetch): with 16 MiB, two collections of 4-8 ms stopped the pull (docs/benchmarks.md, "An eden for the pull").
     */
    public static final long YOUNG_BYTES = 48L << 20;
    private static final int SURVIVOR_RATIO = 4;
    /**
     * What the daemon uses beside its heap: the JVM and its class data, compiled code, thread stacks, metaspace
     * (about 120 MiB idle, docs/daemon.md "Memory"), up to 45 MiB more while the JIT compiles, and the threads and
     * buffers of many layers fetched and read at once: 181-200 MiB in all under DaemonLoadIT's 20 pulls and 16
     * readers (docs/benchmarks.md "Under load"), which must stay within it.
     */
    static final long OUTSIDE_HEAP_BYTES = 220L << 20;
    private static final long MIB = 1L << 20;
    private static final long HEAP_ALIGNMENT = 2 * MIB;

    public static MemoryBudget of(Config config) {
        return new MemoryBudget(config.cache().maxMemoryBytes(), config.memory().indexEntries());
    }

    /** The heap fetches in flight may hold: what readers' fetches and the background fetch hold at most. */
    public static long fetchBytes() {
        return READ_FETCH_BYTES + BACKGROUND_FETCH_BYTES;
    }

    public long indexBytes() {
        return indexEntries * INDEX_BYTES_PER_ENTRY;
    }

    /** The heap bound, {@code -Xmx}: in steps of 2 MiB, the JVM's heap alignment, so it is the bound the JVM runs with. */
    public long maxHeapBytes() {
        long sum = BASE_BYTES + memoryTierBytes + WRITE_QUEUE_BYTES + fetchBytes() + indexBytes();
        return (sum + HEAP_ALIGNMENT - 1) / HEAP_ALIGNMENT * HEAP_ALIGNMENT;
    }

    /**
     * The process bound: the most the daemon's resident memory ({@code VmRSS}) should reach, under any load that keeps
     * within the configuration: the heap bound and what the daemon uses beside the heap. The daemon logs it at start
     * and {@code jstargz status} shows it beside the resident memory.
     */
    public long processBoundBytes() {
        return maxHeapBytes() + OUTSIDE_HEAP_BYTES;
    }

    /** The options {@code jstargz serve} runs with: heap, young generation, and the bounds outside the heap. */
    public List<String> jvmOptions() {
        String netty = "-Dio.grpc.netty.shaded.io.netty.allocator.";
        return List.of(
                "-Xms" + mib(YOUNG_BYTES + 8 * MIB) + "m",
                "-Xmx" + mib(maxHeapBytes()) + "m",
                "-Xmn" + mib(YOUNG_BYTES) + "m",
                "-XX:SurvivorRatio=" + SURVIVOR_RATIO,
                "-XX:-ShrinkHeapInSteps",
                "-XX:MinHeapFreeRatio=10",
                "-XX:MaxHeapFreeRatio=30",
                "-XX:MaxMetaspaceSize=128m",
                "-XX:ReservedCodeCacheSize=64m",
                "-Djdk.nio.maxCachedBufferSize=262144",
                netty + "numDirectArenas=1",
                netty + "numHeapArenas=1",
                netty + "maxOrder=7",
                netty + "useCacheForAllThreads=false");
    }

    /** What the bounds are made of, for the daemon's log. */
    public String describe() {
        return mib(maxHeapBytes()) + " MiB heap: " + mib(memoryTierBytes) + " MiB memory tier, "
                + mib(WRITE_QUEUE_BYTES) + " MiB disk write queue, " + mib(fetchBytes()) + " MiB fetches in flight, "
                + mib(indexBytes()) + " MiB for "
                + indexEntries + " index entries, " + mib(BASE_BYTES) + " MiB for the daemon; process bound "
                + mib(processBoundBytes()) + " MiB (the heap and " + mib(OUTSIDE_HEAP_BYTES) + " MiB beside it)";
    }

    /** Whole MiB, rounded up. */
    private static long mib(long bytes) {
        return (bytes + MIB - 1) / MIB;
    }
}
