package io.jstargz.snapshotter.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class MemoryBudgetTest {

    @Test
    void theHeapBoundGrowsWithTheMemoryTierAndTheIndexes() throws Exception {
        MemoryBudget small = MemoryBudget.of(ConfigLoader.parse("""
                [cache]
                max_memory_bytes = 0
                [memory]
                index_entries = 1
                """, "t.toml"));
        MemoryBudget big = MemoryBudget.of(ConfigLoader.parse("""
                [cache]
                max_memory_bytes = 268435456
                [memory]
                index_entries = 1000000
                """, "t.toml"));
        assertEquals(256L << 20, big.memoryTierBytes());
        assertEquals(big.memoryTierBytes() + 1_000_000 * MemoryBudget.INDEX_BYTES_PER_ENTRY,
                big.maxHeapBytes() - small.maxHeapBytes(), 2 << 20);
        assertEquals(0, small.maxHeapBytes() % (2 << 20), "the JVM's heap alignment");
        assertTrue(small.maxHeapBytes() >= MemoryBudget.BASE_BYTES + MemoryBudget.WRITE_QUEUE_BYTES);
    }

    @Test
    void theOptionsBoundTheHeapAndWhatGrowsOutsideIt() throws Exception {
        MemoryBudget b = MemoryBudget.of(ConfigLoader.parse("[cache]\nmax_memory_bytes = 33554432\n", "t.toml"));
        List<String> options = b.jvmOptions();
        assertTrue(options.contains("-Xmx" + (b.maxHeapBytes() >> 20) + "m"), options.toString());
        assertTrue(options.contains("-Xmn" + (MemoryBudget.YOUNG_BYTES >> 20) + "m"), options.toString());
        for (String bound : List.of("-XX:MaxMetaspaceSize=", "-XX:ReservedCodeCacheSize=",
                "-Djdk.nio.maxCachedBufferSize=", "-Dio.grpc.netty.shaded.io.netty.allocator.numDirectArenas=")) {
            assertTrue(options.stream().anyMatch(o -> o.startsWith(bound)), bound + " in " + options);
        }
        assertTrue(b.describe().startsWith((b.maxHeapBytes() >> 20) + " MiB heap: 32 MiB memory tier"), b.describe());
    }
}
