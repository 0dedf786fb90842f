package io.jstargz.snapshotter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jstargz.snapshotter.proto.snapshots.Kind;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The daemon as its own process: SIGTERM shuts it down cleanly and what it stored survives. */
class SignalShutdownTest {

    @Test
    void sigtermStopsServingClosesTheDatabaseAndKeepsSnapshots(@TempDir Path tmp) throws Exception {
        Path root = tmp.resolve("root");
        Path run = Files.createDirectories(tmp.resolve("run"));
        Path socket = run.resolve("j.sock");
        Path config = Files.writeString(tmp.resolve("config.toml"),
                "root = \"" + root + "\"\naddress = \"" + socket + "\"\nwarm_up = false\n");
        Process daemon = start(config);
        try {
            awaitFile(socket, daemon);
            try (GrpcClient c = new GrpcClient(socket)) {
                new Rpc(c.snapshots("default")).layer("default/1/a", "");
            }
            daemon.destroy(); // SIGTERM
            assertTrue(daemon.waitFor(30, TimeUnit.SECONDS), "the daemon exits on SIGTERM");
            assertEquals(143, daemon.exitValue());
        } finally {
            daemon.destroyForcibly();
        }
        assertFalse(Files.exists(socket), "socket removed");
        assertFalse(Files.exists(root.resolve("metadata.db-wal")), "database closed (WAL checkpointed away)");

        Process again = start(config);
        try {
            awaitFile(socket, again);
            try (GrpcClient c = new GrpcClient(socket)) {
                assertEquals(Kind.COMMITTED, new Rpc(c.snapshots("default")).stat("default/1/a").getKind());
            }
        } finally {
            again.destroy();
            again.waitFor(30, TimeUnit.SECONDS);
        }
    }

    private static Process start(Path config) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        return new ProcessBuilder(List.of(java.toString(), "-cp", System.getProperty("java.class.path"),
                DaemonMain.class.getName(), config.toString())).inheritIO().start();
    }

    /** Waits for {@code file} to appear (inotify via WatchService), failing if the process dies first. */
    @SuppressWarnings("try") // the watch service is closed early when the process dies, to wake the wait
    private static void awaitFile(Path file, Process process) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        try (WatchService watch = FileSystems.getDefault().newWatchService()) {
            file.getParent().register(watch, StandardWatchEventKinds.ENTRY_CREATE);
            process.onExit().thenRun(() -> {
                try {
                    watch.close();
                } catch (java.io.IOException ignored) {
                    // the waiting loop reports the exit
                }
            });
            while (!Files.exists(file)) {
                long left = deadline - System.nanoTime();
                WatchKey key;
                try {
                    key = left > 0 ? watch.poll(left, TimeUnit.NANOSECONDS) : null;
                } catch (ClosedWatchServiceException e) {
                    throw new AssertionError("daemon exited with " + process.exitValue() + " before " + file);
                }
                if (key == null) {
                    throw new AssertionError(file + " did not appear within 60 s");
                }
                key.pollEvents();
                key.reset();
            }
        }
    }
}
