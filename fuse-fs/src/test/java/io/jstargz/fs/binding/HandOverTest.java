package io.jstargz.fs.binding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jstargz.mount.MountTable;
import io.jstargz.process.Command;
import java.io.BufferedReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13: a mount handed from one server to the next ({@link MountHandle#handOver}, then {@link FuseBinding#adopt})
 * loses no request. Real: the kernel binding, its FUSE mount, and a reader in a child process that drops the page
 * cache and checks the sha256 of a 3 MiB file and a small one in a loop while the mount changes hands 10 times. Both
 * servers live in this JVM, as two handles on one connection; the daemon's handover between processes is
 * HandoverTest in snapshotter-grpc.
 */
class HandOverTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final FuseBinding BINDING = FuseBindings.byDefault();
    private static final int HANDOVERS = 10;

    @TempDir
    Path tmp;

    @Test
    void aMountBeingReadChangesHandsTenTimesWithoutAFailedRead() throws Exception {
        assertEquals("kernel", BINDING.name(), "this test runs on the kernel binding");
        Path mp = Files.createDirectory(tmp.resolve("mnt"));
        String big = sha256(MemoryTree.writeBig(tmp.resolve("big.bin"))) + "  " + mp.resolve("big.bin");
        String hello = sha256(Files.write(tmp.resolve("hello.txt"), MemoryTree.HELLO)) + "  " + mp.resolve("hello.txt");
        Path inboxPath = tmp.resolve("inbox.sock");
        MountHandle handle = BINDING.mount(mp, new MemoryTree(), MountOptions.forLayer("memory-tree"));
        Path out = tmp.resolve("reads");
        Path stop = tmp.resolve("stop");
        Process reader = null;
        Process lister = null;
        try (ConnectionInbox inbox = BINDING.openInbox(inboxPath)) {
            handle.awaitMounted(WAIT);
            String device = MountTable.at(mp).orElseThrow().device();
            // a directory opened before the handovers and listed after them: the last server lists it again
            lister = new ProcessBuilder("python3", "-c", "import os, sys\n"
                    + "fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)\n"
                    + "print('open', flush=True)\n"
                    + "sys.stdin.readline()\n"
                    + "print(' '.join(sorted(os.listdir(fd))), flush=True)\n", mp.toString())
                    .redirectErrorStream(true).start();
            BufferedReader listed = lister.inputReader();
            assertEquals("open", listed.readLine());
            reader = new ProcessBuilder("sh", "-c", "while [ ! -e \"$0\" ]; do echo 3 > /proc/sys/vm/drop_caches;"
                    + " sha256sum \"$1/big.bin\" \"$1/hello.txt\" 2>&1; done", stop.toString(), mp.toString())
                    .redirectErrorStream(true).redirectOutput(out.toFile()).start();
            for (int i = 0; i < HANDOVERS; i++) {
                MountHandle old = handle;
                KeptConnection sent = old.handOver(inboxPath.toString(), "memory-tree", WAIT);
                assertTrue(old.unmounted().isDone(), "the old server serves no more");
                assertFalse(old.isMounted());
                ConnectionInbox.Notification got = inbox.receive(WAIT);
                assertEquals(sent, KeptConnection.parse(got.field("FDNAME"), got.field("OPEN_INODES")).orElseThrow());
                handle = BINDING.adopt(mp, got.fds()[0], sent, new MemoryTree(), MountOptions.forLayer("memory-tree"));
                old.close(); // a handle handed over unmounts nothing
                assertEquals(device, MountTable.at(mp).orElseThrow().device(), "handover " + (i + 1)
                        + ": the same mount, adopted");
                assertEquals(big, Command.of("sha256sum", mp.resolve("big.bin").toString()).run(WAIT).orThrow()
                        .strip(), "a read after handover " + (i + 1));
            }
            lister.getOutputStream().write('\n');
            lister.getOutputStream().flush();
            assertEquals(String.join(" ", Command.of("ls", mp.toString()).run(WAIT).orThrow().strip().split("\n")),
                    listed.readLine(), "the directory opened before the handovers lists its names");
            Files.createFile(stop);
            assertTrue(reader.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS), "the reader ends");
            List<String> reads = Files.readAllLines(out);
            long wrong = reads.stream().filter(l -> !l.equals(big) && !l.equals(hello)).peek(l -> System.out.println("failed read: " + l))
                    .count();
            System.out.println("handover: " + HANDOVERS + " handovers, " + wrong + " of " + reads.size()
                    + " reads failed");
            assertEquals(0, wrong, "reads that failed or read wrong bytes");
            assertTrue(reads.size() >= 2, "the reader read");
        } finally {
            if (reader != null) {
                reader.destroyForcibly();
            }
            if (lister != null) {
                lister.destroyForcibly();
            }
            handle.close();
        }
        assertTrue(MountTable.at(mp).isEmpty(), "the last server unmounts it");
    }

    /**
     * A process stopped by SIGTERM while it hands a mount over (as a daemon that gets SIGTERM during a takeover) does
     * not unmount it under the process taking over: the exit hook runs the handover first ({@code
     * FuseMounts.atExitFirst}), and unmounts only what was left. Real: a child JVM serving the mount, SIGTERM.
     */
    @Test
    void aSigtermLetsAHandOverAtExitFinishBeforeTheMountsAreUnmounted() throws Exception {
        assertEquals("kernel", BINDING.name(), "this test runs on the kernel binding");
        Path mp = Files.createDirectory(tmp.resolve("mnt"));
        Path inboxPath = tmp.resolve("inbox.sock");
        try (ConnectionInbox inbox = BINDING.openInbox(inboxPath)) {
            Process child = MountChild.start(mp, BINDING, "--hand-over-at-exit", inboxPath.toString());
            String device;
            ConnectionInbox.Notification got;
            try {
                long watchdog = MountChild.awaitMounted(child);
                device = MountTable.at(mp).orElseThrow().device();
                child.destroy();
                assertTrue(child.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS), "the child exits on SIGTERM");
                MountChild.awaitExit(watchdog);
                got = inbox.receive(WAIT);
            } finally {
                child.destroyForcibly();
            }
            assertEquals(device, MountTable.at(mp).orElseThrow().device(), "the mount handed over at exit is there");
            KeptConnection kept = KeptConnection.parse(got.field("FDNAME"), got.field("OPEN_INODES")).orElseThrow();
            try (MountHandle adopted = BINDING.adopt(mp, got.fds()[0], kept, new MemoryTree(),
                    MountOptions.forLayer("memory-tree"))) {
                assertEquals("hello from jstargz\n", Command.of("cat", mp.resolve("hello.txt").toString()).run(WAIT)
                        .orThrow(), "the process it was handed to serves it");
            }
        }
        assertTrue(MountTable.at(mp).isEmpty(), "the last server unmounts it");
    }

    private static String sha256(Path file) throws Exception {
        return Command.of("sha256sum", file.toString()).run(WAIT).orThrow().split(" ")[0];
    }
}
