package io.jstargz.snapshotter;

import static io.jstargz.snapshotter.Rpc.fails;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.jstargz.mount.MountTable;
import io.jstargz.snapshotter.config.Config;
import io.jstargz.snapshotter.proto.snapshots.Info;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Start, stop, restart and the socket: what survives and what is reconciled. */
@SuppressWarnings("try") // a daemon kept open for the block
class DaemonLifecycleTest {
    @TempDir
    Path tmp;

    private Config config() {
        return Config.defaults().withRoot(tmp.resolve("root")).withAddress(tmp.resolve("run/sub/j.sock"))
                .withWarmUp(false);
    }

    @Test
    void restartKeepsSnapshotsAndTheirDirectories() throws Exception {
        Config config = config();
        String fs;
        Info before;
        try (Daemon d = Daemon.start(config); GrpcClient c = new GrpcClient(config.address())) {
            Rpc rpc = new Rpc(c.snapshots("default"));
            fs = rpc.prepare("default/1/a", "").get(0).getSource();
            Files.writeString(Path.of(fs, "file"), "content");
            rpc.commit("default/2/a", "default/1/a", Map.of("containerd.io/snapshot.ref", "sha256:a"));
            rpc.prepare("default/3/b", "default/2/a");
            before = rpc.stat("default/2/a");
        }
        assertFalse(Files.exists(config.address()), "the socket is removed at shutdown");
        try (Daemon d = Daemon.start(config); GrpcClient c = new GrpcClient(config.address())) {
            Rpc rpc = new Rpc(c.snapshots("default"));
            assertEquals(before, rpc.stat("default/2/a"));
            assertEquals("content", Files.readString(Path.of(fs, "file")));
            assertTrue(rpc.mounts("default/3/b").get(0).getOptionsList().contains("lowerdir=" + fs));
            assertEquals(List.of("default/3/b"), rpc.list("parent==default/2/a"));
            rpc.remove("default/3/b");
            rpc.remove("default/2/a");
            assertFalse(Files.exists(Path.of(fs)));
        }
    }

    @Test
    void startReconcilesDiskWithDatabaseWithoutCrossingMounts() throws Exception {
        Config config = config();
        try (Daemon d = Daemon.start(config); GrpcClient c = new GrpcClient(config.address())) {
            new Rpc(c.snapshots("default")).prepare("default/1/kept", "");
        }
        Path snapshots = config.root().resolve("snapshots");
        // a crash after creating directories but before the transaction committed, and during a removal
        Path orphan = Files.createDirectories(snapshots.resolve("4242/fs"));
        Path temp = Files.createDirectories(snapshots.resolve("new-777/fs"));
        // a layer mount left by a killed daemon: detached, and what it showed stays intact
        Path precious = Files.createDirectories(tmp.resolve("precious"));
        Files.writeString(precious.resolve("keep"), "me");
        TestMounts.bind(precious, orphan);
        try (Daemon d = Daemon.start(config); GrpcClient c = new GrpcClient(config.address())) {
            assertFalse(MountTable.at(orphan).isPresent());
            assertFalse(Files.exists(orphan.getParent()));
            assertFalse(Files.exists(temp.getParent()));
            assertEquals("me", Files.readString(precious.resolve("keep")));
            Rpc rpc = new Rpc(c.snapshots("default"));
            assertEquals("default/1/kept", rpc.stat("default/1/kept").getName());
            assertTrue(Files.isDirectory(Path.of(rpc.mounts("default/1/kept").get(0).getSource())));
        }
    }

    @Test
    void socketIsGroupOnlyAndStaleSocketsAreReplaced() throws Exception {
        Config config = config();
        Files.createDirectories(config.address().getParent());
        try (ServerSocketChannel stale = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            stale.bind(UnixDomainSocketAddress.of(config.address()));
        } // closed without unlinking: a stale socket file, as a killed daemon leaves it
        assertTrue(Files.exists(config.address()));
        try (Daemon d = Daemon.start(config); GrpcClient c = new GrpcClient(config.address())) {
            assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(config.address())));
            fails(Status.Code.NOT_FOUND, () -> new Rpc(c.snapshots("default")).stat("nothing"));
            Config second = config.withRoot(tmp.resolve("root2"));
            IOException live = assertThrows(IOException.class, () -> Daemon.start(second));
            assertTrue(live.getMessage().contains("another process is serving on " + config.address()),
                    live.getMessage());
            IOException sameRoot = assertThrows(IOException.class,
                    () -> Daemon.start(config.withAddress(tmp.resolve("other.sock"))));
            assertTrue(sameRoot.getMessage().contains("another jstargz daemon is using root"), sameRoot.getMessage());
            assertFalse(new Rpc(c.snapshots("default")).prepare("default/1/x", "").isEmpty(),
                    "the first daemon still serves");
        }
    }

    @Test
    void aFileThatIsNotASocketIsNeverReplaced() throws Exception {
        Config config = config();
        Files.createDirectories(config.address().getParent());
        Files.writeString(config.address(), "not a socket");
        IOException e = assertThrows(IOException.class, () -> Daemon.start(config));
        assertTrue(e.getMessage().contains("is not a socket"), e.getMessage());
        assertEquals("not a socket", Files.readString(config.address()));
    }
}
