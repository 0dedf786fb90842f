package io.jstargz.snapshotter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jstargz.BuildInfo;
import io.jstargz.snapshotter.proto.snapshots.Kind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
        ChildJvm.Started started = start(config);
        Process daemon = started.process();
        try {
            String ready = started.line();
            assertTrue(ready.contains("jstargz snapshotter ready: version " + BuildInfo.current() + ", config "
                    + config + ", root "), "the start-up line names the version and the config: " + ready);
            assertTrue(ready.matches(".*, FUSE binding (kernel|jnr)$"), ready);
            List<String> natives = Files.readAllLines(Path.of("/proc", Long.toString(daemon.pid()), "maps")).stream()
                    .filter(l -> l.contains("sqlitejdbc") || l.contains("jffi"))
                    .map(l -> l.split("\\s+", 6)[5].replace(" (deleted)", "")) // jffi removes its copy once loaded
                    .distinct().toList();
            assertTrue(natives.stream().anyMatch(l -> l.contains("sqlitejdbc"))
                    && natives.stream().anyMatch(l -> l.contains("jffi")), "sqlite and jffi loaded: " + natives);
            assertTrue(natives.stream().allMatch(l -> l.startsWith(root.resolve("native") + "/")),
                    "native libraries unpacked under the root, not /tmp: " + natives);
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

        Process again = start(config).process();
        try {
            try (GrpcClient c = new GrpcClient(socket)) {
                assertEquals(Kind.COMMITTED, new Rpc(c.snapshots("default")).stat("default/1/a").getKind());
            }
        } finally {
            again.destroy();
            again.waitFor(30, TimeUnit.SECONDS);
        }
    }

    private static ChildJvm.Started start(Path config) throws Exception {
        return ChildJvm.startAndAwait(DaemonMain.class, "jstargz snapshotter ready", Duration.ofSeconds(60),
                config.toString());
    }
}
