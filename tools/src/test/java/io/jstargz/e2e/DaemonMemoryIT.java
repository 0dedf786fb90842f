package io.jstargz.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jstargz.snapshotter.config.ConfigLoader;
import io.jstargz.snapshotter.config.MemoryBudget;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/jstargz serve} starts the daemon's JVM with the heap bound its configuration asks for: the running JVM
 * reports that bound, and the daemon says what it is made of, or warns when the JVM was given less.
 */
class DaemonMemoryIT {
    private static final Duration DEADLINE = Duration.ofSeconds(60);

    @TempDir
    Path tmp;

    private Path config(String name) throws Exception {
        return DaemonProcess.quietConfig(tmp, name, "[cache]", "max_memory_bytes = 50331648", "[memory]",
                "index_entries = 300000");
    }

    @Test
    void theJvmRunsWithTheHeapBoundTheConfigurationAsksFor() throws Exception {
        Path config = config("bounded");
        MemoryBudget budget = MemoryBudget.of(ConfigLoader.load(config));
        try (DaemonProcess d = DaemonProcess.start(config, tmp.resolve("bounded.sock"), tmp.resolve("bounded.log"))) {
            assertEquals(budget.maxHeapBytes(), Long.parseLong(LauncherJvm.flag(d.pid(), "MaxHeapSize")));
            assertEquals(MemoryBudget.YOUNG_BYTES, Long.parseLong(LauncherJvm.flag(d.pid(), "MaxNewSize")));
            assertEquals("true", LauncherJvm.flag(d.pid(), "UseSerialGC"));
            assertTrue(d.awaitLog(DEADLINE, "memory: ").contains(budget.describe()));
        }
    }

    @Test
    void aSmallerHeapFromJavaOptsIsWarnedAbout() throws Exception {
        Path config = config("squeezed");
        try (DaemonProcess d = DaemonProcess.start(config, tmp.resolve("squeezed.sock"), tmp.resolve("squeezed.log"),
                Map.of("JAVA_OPTS", "-Xmx64m"))) {
            assertEquals(64L << 20, Long.parseLong(LauncherJvm.flag(d.pid(), "MaxHeapSize")));
            assertTrue(d.awaitLog(DEADLINE, "memory: ").contains("WARN"),
                    "the daemon warns that its heap is below what the configuration needs");
        }
    }
}
