package io.jstargz.snapshotter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.jstargz.snapshotter.config.Config;
import io.jstargz.snapshotter.config.ConfigLoader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The checks before the daemon does any work: FUSE usable, metrics address free. */
class PreflightTest {
    @TempDir
    Path tmp;

    @Test
    void thisMachineCanServeLayers() {
        // CI runs as root on a kernel with FUSE: the real device and /proc pass
        assertEquals(List.of(), Preflight.here().fuse("auto"));
        assertEquals(List.of(), Preflight.here().fuse("jnr"));
    }

    @Test
    void eachMissingPartIsOneLine() throws Exception {
        Path noFuse = Files.writeString(tmp.resolve("filesystems"), "nodev\tsysfs\nnodev\tproc\n\text4\n");
        Preflight p = new Preflight(tmp.resolve("fuse"), noFuse, false, List.of(tmp));
        assertEquals(List.of(
                tmp.resolve("fuse") + " does not exist: load the fuse module ('modprobe fuse'), or in a container"
                        + " pass the device (--device /dev/fuse)",
                "the kernel has no FUSE filesystem (" + noFuse + " lists none): load the fuse module with"
                        + " 'modprobe fuse'",
                "not root, and no setuid fusermount on PATH to mount with: run the daemon as root"), p.fuse("jnr"));

        Path regular = Files.writeString(tmp.resolve("not-a-device"), "");
        assertEquals(List.of(regular + " is not a character device"),
                new Preflight(regular, Path.of("/proc/filesystems"), true, List.of()).fuse("auto"));
    }

    @Test
    void aTakenMetricsPortStopsTheDaemonBeforeAnyWork() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            String address = "127.0.0.1:" + taken.getLocalPort();
            Optional<String> problem = Preflight.bindable("metrics_address", address);
            assertEquals(true, problem.orElseThrow().startsWith("metrics_address " + address + " cannot be bound: "),
                    problem.toString());

            Path root = tmp.resolve("root");
            Config config = Config.defaults().withRoot(root).withAddress(tmp.resolve("s.sock"))
                    .withMetricsAddress(address);
            StartupException e = assertThrows(StartupException.class, () -> Daemon.start(config));
            assertEquals(List.of(problem.orElseThrow()), e.problems());
            assertFalse(Files.exists(root), "nothing was made before the checks");
        }
        assertEquals(Optional.empty(), Preflight.bindable("metrics_address", "127.0.0.1:0"));
    }

    @Test
    void aMissingDockerConfigIsAWarningNotARefusal() throws Exception {
        Path none = tmp.resolve("none.json");
        Config config = ConfigLoader.parse("[registry]\ndocker_config = \"" + none + "\"\n", "t.toml");
        try (LogWatch log = new LogWatch()) {
            Preflight.here().check(config);
            assertEquals("registry.docker_config " + none + " does not exist: registries get no credentials from it",
                    log.await(Duration.ofSeconds(10), "docker_config"));
        }
    }
}
