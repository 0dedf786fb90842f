package io.jstargz.testing;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The harness itself, on each containerd release: it boots in its own directory, ctr reaches it, close stops it. */
class ContainerdTest {

    static List<ContainerdRelease> releases() {
        return List.of(ContainerdRelease.V1_6, ContainerdRelease.V2_1);
    }

    @ParameterizedTest
    @MethodSource("releases")
    void startsServesAndStops(ContainerdRelease release, @TempDir Path tmp) throws Exception {
        Containerd.Options options = new Containerd.Options(tmp.resolve("c"), tmp.resolve("jstargz.sock"),
                tmp.resolve("jstargz-root"), false, release);
        Path address;
        try (Containerd c = Containerd.start(options)) {
            address = c.address();
            String version = c.ctr("test", "version").orThrow();
            assertTrue(version.lines().filter(l -> l.contains("Version:")).skip(1)
                    .anyMatch(l -> l.contains(" " + release.version() + ".")), version);
            String plugins = c.ctr("test", "plugins", "ls").orThrow();
            assertTrue(plugins.lines().anyMatch(l -> l.contains("io.containerd.snapshotter.v1")
                    && l.contains(Containerd.SNAPSHOTTER)), plugins);
            assertFalse(plugins.lines().anyMatch(l -> l.matches("io\\.containerd\\.grpc\\.v1\\s+cri\\s+.*ok\\s*")),
                    plugins);
        }
        assertFalse(isServing(address), "containerd stopped");
    }

    @ParameterizedTest
    @MethodSource("releases")
    void criPluginUsesTheProxySnapshotter(ContainerdRelease release, @TempDir Path tmp) throws Exception {
        Containerd.Options options = new Containerd.Options(tmp.resolve("c"), tmp.resolve("jstargz.sock"),
                tmp.resolve("jstargz-root"), true, release);
        try (Containerd c = Containerd.start(options)) {
            String plugins = c.ctr("k8s.io", "plugins", "ls").orThrow();
            assertTrue(plugins.lines().anyMatch(l -> l.matches("io\\.containerd\\.grpc\\.v1\\s+cri\\s+.*ok\\s*")),
                    plugins);
            String log = c.logText();
            if (release.configV3()) {
                // 2.x: images go through the transfer service (no fallback to the local pull), and CRI reads the
                // proxy plugin's exported root
                assertTrue(log.contains("Get image filesystem path \\\"" + options.snapshotterRoot()
                        + "\\\" for snapshotter \\\"jstargz\\\""), log);
                assertFalse(log.contains("Falling back to local image pull mode"), log);
            } else {
                assertTrue(log.contains("Snapshotter:jstargz") && log.contains("DisableSnapshotAnnotations:false"),
                        log);
            }
        }
    }

    private static boolean isServing(Path socket) {
        try (var ch = java.nio.channels.SocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            ch.connect(java.net.UnixDomainSocketAddress.of(socket));
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
