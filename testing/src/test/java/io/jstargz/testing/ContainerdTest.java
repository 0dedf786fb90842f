package io.jstargz.testing;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The harness itself: containerd boots in its own directory, ctr reaches it, close stops it. */
class ContainerdTest {

    @Test
    void startsServesAndStops(@TempDir Path tmp) throws Exception {
        Containerd.Options options = new Containerd.Options(tmp.resolve("c"), tmp.resolve("jstargz.sock"),
                tmp.resolve("jstargz-root"), false);
        Path address;
        try (Containerd c = Containerd.start(options)) {
            address = c.address();
            String version = c.ctr("test", "version").orThrow();
            assertTrue(version.contains("Server:") && version.contains("1.6"), version);
            String plugins = c.ctr("test", "plugins", "ls").orThrow();
            assertTrue(plugins.lines().anyMatch(l -> l.contains("io.containerd.snapshotter.v1")
                    && l.contains(Containerd.SNAPSHOTTER)), plugins);
            assertFalse(plugins.contains("io.containerd.grpc.v1          cri"), plugins);
        }
        assertFalse(isServing(address), "containerd stopped");
    }

    @Test
    void criPluginUsesTheProxySnapshotterWithAnnotations(@TempDir Path tmp) throws Exception {
        Containerd.Options options = new Containerd.Options(tmp.resolve("c"), tmp.resolve("jstargz.sock"),
                tmp.resolve("jstargz-root"), true);
        try (Containerd c = Containerd.start(options)) {
            String plugins = c.ctr("k8s.io", "plugins", "ls").orThrow();
            assertTrue(plugins.lines().anyMatch(l -> l.matches("io\\.containerd\\.grpc\\.v1\\s+cri\\s+.*ok\\s*")),
                    plugins);
            String log = c.logText();
            assertTrue(log.contains("Snapshotter:jstargz") && log.contains("DisableSnapshotAnnotations:false"), log);
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
