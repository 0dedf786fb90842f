package io.jstargz.fs.binding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jstargz.mount.MountTable;
import io.jstargz.process.Command;
import io.jstargz.process.CommandResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A FUSE mount outlives the process that served it when its connection is kept elsewhere: a real mount on the kernel
 * binding, its server killed with SIGKILL, and this JVM playing the keeper (it receives the connection the way
 * systemd's fd store does) and then the process that adopts it. Runs on the kernel binding only (jnr-fuse cannot).
 */
class KeptConnectionTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final FuseBinding BINDING = FuseBindings.byDefault();

    @TempDir
    Path tmp;

    @Test
    void aMountWhoseServerWasKilledIsServedByTheProcessThatAdoptsItsConnection() throws Exception {
        assertEquals("kernel", BINDING.name(), "this test runs on the kernel binding");
        Path mp = Files.createDirectory(tmp.resolve("mnt"));
        Path expected = MemoryTree.writeBig(tmp.resolve("big.bin"));
        try (ConnectionInbox keeper = BINDING.openInbox(tmp.resolve("keeper.sock"))) {
            Process child = MountChild.start(mp, BINDING, "--keep", tmp.resolve("keeper.sock").toString());
            ConnectionInbox.Notification stored;
            try {
                long watchdog = MountChild.awaitMounted(child);
                stored = keeper.receive(Duration.ZERO);
                child.destroyForcibly();
                child.onExit().get(WAIT.toSeconds(), TimeUnit.SECONDS);
                MountChild.awaitExit(watchdog);
            } finally {
                child.destroyForcibly();
            }
            assertEquals("1", stored.field("FDSTORE"));
            assertEquals(1, stored.fds().length);
            KeptConnection kept = KeptConnection.parse(stored.field("FDNAME")).orElseThrow();
            assertEquals(MountChild.LABEL, kept.label());
            assertEquals("fuse.jstargz", MountTable.at(mp).orElseThrow().fsType(),
                    "the mount outlived its server and its watchdog");

            // a reader that comes while nobody serves waits, and is answered once the connection is adopted
            CompletableFuture<CommandResult> reader = CompletableFuture.supplyAsync(() -> sha256(mp.resolve("big.bin")));
            try (MountHandle adopted = BINDING.adopt(mp, stored.fds()[0], kept, new MemoryTree(),
                    MountOptions.forLayer("memory-tree"))) {
                assertTrue(adopted.isMounted());
                String want = sha256(expected).orThrow().split(" ")[0];
                assertEquals(want, reader.get(WAIT.toSeconds(), TimeUnit.SECONDS).orThrow().split(" ")[0]);
                assertEquals("hello from jstargz\n", Command.of("cat", mp.resolve("hello.txt").toString())
                        .run(WAIT).orThrow());
            }
            assertTrue(MountTable.at(mp).isEmpty(), "the adopter unmounts it");
        }
    }

    @Test
    void aNameThatIsNotAKeptConnectionsIsRefused() {
        assertTrue(KeptConnection.parse("stored-by-someone-else").isEmpty());
        assertEquals(new KeptConnection("snap-1", 41, 0x1ffL),
                KeptConnection.parse(new KeptConnection("snap-1", 41, 0x1ffL).name()).orElseThrow());
        assertThrows(IllegalArgumentException.class, () -> new KeptConnection("has:colon", 41, 0));
        KeptConnection handedOver = new KeptConnection("snap-1", 41, 0x1ffL,
                Optional.of(List.of(new KeptConnection.OpenInode(7, 3, 2), new KeptConnection.OpenInode(9, 0, 1))));
        assertEquals(handedOver, KeptConnection.parse(handedOver.name(), handedOver.openInodesField()).orElseThrow());
        assertTrue(KeptConnection.parse(handedOver.name(), "7:x").isEmpty(), "a malformed field is refused");
    }

    private static CommandResult sha256(Path file) {
        try {
            return Command.of("sha256sum", file.toString()).run(WAIT);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
