package io.jstargz.fs.binding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jstargz.process.Command;
import io.jstargz.process.CommandResult;
import java.io.BufferedReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13: a file passed through to a backing file (FUSE passthrough) and held open while its server is killed opens
 * again once another process adopts the connection. The kernel wants every open of an inode with open passthrough
 * files to name the same backing id, which only the dead server knew: it kept its table of open inodes on disk
 * beside the mount point, and the adopter goes on from it. Real: the kernel binding, its FUSE mount with passthrough,
 * a server in a child JVM killed with SIGKILL, and a python process holding the file open across the kill; this JVM
 * plays the keeper (systemd's fd store) and then the adopter. Kernel binding only.
 */
class PassthroughAfterCrashTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final FuseBinding BINDING = FuseBindings.byDefault();
    /** Opens the file, says so, and once told on stdin prints the sha256 of what it reads through the held fd. */
    private static final String HOLDER = "import hashlib, os, sys\n"
            + "fd = os.open(sys.argv[1], os.O_RDONLY)\n"
            + "print('open', flush=True)\n"
            + "sys.stdin.readline()\n"
            + "h = hashlib.sha256()\n"
            + "while True:\n"
            + "    b = os.read(fd, 1 << 20)\n"
            + "    if not b:\n"
            + "        break\n"
            + "    h.update(b)\n"
            + "print(h.hexdigest(), flush=True)\n";

    @TempDir
    Path tmp;

    @Test
    void aFileHeldOpenAcrossACrashOpensAgainPassedThroughAsBefore() throws Exception {
        Crashed crashed = crashWithBigHeldOpen();
        Path mp = crashed.mountPoint();
        Path table = tmp.resolve("mnt.open-inodes");
        assertTrue(Files.exists(table), "the dead server's table of open inodes is beside the mount point");
        // the adopter has no local copy: only the backing id the dead server registered can read big.bin
        MemoryTree tree = new MemoryTree();
        try (MountHandle adopted = BINDING.adopt(mp, crashed.fd(), crashed.kept(), tree,
                MountOptions.forLayer("memory-tree").withPassthrough(true))) {
            assertEquals(crashed.sha256(), sha256(mp.resolve("big.bin")).orThrow().split(" ")[0],
                    "a second open of the file held open across the crash");
            assertEquals(0, tree.reads(), "the kernel read it through the backing file the dead server registered");
            assertEquals(crashed.sha256(), crashed.readHeld(), "the reads through the fd held across the crash");
            assertEquals("hello from jstargz\n", Command.of("cat", mp.resolve("hello.txt").toString()).run(WAIT)
                    .orThrow());
        } finally {
            crashed.holder().destroyForcibly();
        }
        assertFalse(Files.exists(table), "the table goes when the mount ends");
    }

    @Test
    void aMalformedTableIsLoggedAndTheAdopterServesAsBefore() throws Exception {
        Crashed crashed = crashWithBigHeldOpen();
        Path mp = crashed.mountPoint();
        Files.writeString(tmp.resolve("mnt.open-inodes"), "not a table");
        MemoryTree tree = new MemoryTree();
        try (MountHandle adopted = BINDING.adopt(mp, crashed.fd(), crashed.kept(), tree,
                MountOptions.forLayer("memory-tree").withPassthrough(true))) {
            assertTrue(adopted.isMounted());
            assertEquals("hello from jstargz\n", Command.of("cat", mp.resolve("hello.txt").toString()).run(WAIT)
                    .orThrow());
            assertEquals(crashed.sha256(), crashed.readHeld(), "the reads through the fd held across the crash");
        } finally {
            crashed.holder().destroyForcibly();
        }
    }

    /**
     * A server in a child JVM mounting with big.bin passed through to a copy, the file held open by another process,
     * the server killed: the connection as its keeper got it, and the holder.
     */
    private Crashed crashWithBigHeldOpen() throws Exception {
        assertEquals("kernel", BINDING.name(), "this test runs on the kernel binding");
        Path mp = Files.createDirectory(tmp.resolve("mnt"));
        Path copy = MemoryTree.writeBig(tmp.resolve("big.copy"));
        String sha256 = sha256(copy).orThrow().split(" ")[0];
        try (ConnectionInbox keeper = BINDING.openInbox(tmp.resolve("keeper.sock"))) {
            Process child = MountChild.start(mp, BINDING, "--keep", tmp.resolve("keeper.sock").toString(), "--copy",
                    copy.toString());
            Process holder = null;
            try {
                long watchdog = MountChild.awaitMounted(child);
                ConnectionInbox.Notification stored = keeper.receive(Duration.ZERO);
                holder = new ProcessBuilder("python3", "-c", HOLDER, mp.resolve("big.bin").toString())
                        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
                BufferedReader said = holder.inputReader();
                assertEquals("open", said.readLine());
                child.destroyForcibly();
                child.onExit().get(WAIT.toSeconds(), TimeUnit.SECONDS);
                MountChild.awaitExit(watchdog);
                // as a daemon wipes its copies at start: the kernel holds the backing file open by itself
                Files.delete(copy);
                KeptConnection kept = KeptConnection.parse(stored.field("FDNAME"), stored.field("OPEN_INODES"))
                        .orElseThrow();
                assertTrue(kept.openInodes().isEmpty(), "a connection kept for a crash carries no open inodes");
                return new Crashed(mp, stored.fds()[0], kept, holder, said, sha256);
            } catch (Exception | AssertionError e) {
                if (holder != null) {
                    holder.destroyForcibly();
                }
                throw e;
            } finally {
                child.destroyForcibly();
            }
        }
    }

    private record Crashed(Path mountPoint, int fd, KeptConnection kept, Process holder, BufferedReader said,
                           String sha256) {
        /** The sha256 of what the holder reads through the descriptor it held across the crash. */
        String readHeld() throws Exception {
            holder.getOutputStream().write('\n');
            holder.getOutputStream().flush();
            return said.readLine();
        }
    }

    private static CommandResult sha256(Path file) throws Exception {
        return Command.of("sha256sum", file.toString()).run(WAIT);
    }
}
