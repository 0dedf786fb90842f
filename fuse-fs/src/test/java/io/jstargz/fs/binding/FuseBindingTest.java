package io.jstargz.fs.binding;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jstargz.fs.binding.linux.FuseConnections;
import io.jstargz.mount.MountTable;
import io.jstargz.mount.Unmounter;
import io.jstargz.process.Command;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real FUSE mounts through the binding this run chooses ({@link FuseBindings#byDefault()}: the build runs this class
 * once on the kernel binding and once on jnr-fuse): serving, unmounting, an aborted connection, and no dead mount
 * after the mounting JVM is killed.
 */
class FuseBindingTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final FuseBinding BINDING = FuseBindings.byDefault();
    private static final int MIB = 1024 * 1024;

    @TempDir
    Path tmp;

    @Test
    void usesTheBindingThisRunAsksFor() {
        String asked = System.getProperty(FuseBindings.PROPERTY, "auto");
        // tests run as root: auto means the kernel binding wherever the JDK has the FFM API
        String auto = Runtime.version().feature() >= 22 ? "kernel" : "jnr";
        assertEquals(asked.equals("auto") ? auto : asked, BINDING.name());
    }

    @Test
    void servesTheTreeThroughTheKernelAndUnmounts() throws Exception {
        Path mp = Files.createDirectory(tmp.resolve("mnt"));
        MountHandle h = BINDING.mount(mp, new MemoryTree(), MountOptions.forLayer("memory-tree"));
        try (h) {
            h.awaitMounted(WAIT);
            assertTrue(h.isMounted());
            MountTable.Mount m = MountTable.at(mp).orElseThrow();
            assertEquals("fuse.jstargz", m.fsType());
            assertEquals("memory-tree", m.source());

            assertArrayEquals(MemoryTree.HELLO, Files.readAllBytes(mp.resolve("hello.txt")));
            Map<String, Object> a = Files.readAttributes(mp.resolve("hello.txt"), "unix:*");
            assertEquals(2L, a.get("ino"));
            assertEquals(0100644, a.get("mode"));
            assertEquals(1000, a.get("uid"));
            assertEquals(1, a.get("nlink"));
            assertEquals(1_600_000_001L, ((java.nio.file.attribute.FileTime) a.get("lastModifiedTime")).toMillis()
                    / 1000);
            assertEquals(041777, Files.getAttribute(mp.resolve("dir"), "unix:mode"));
            assertEquals(Path.of("hello.txt"), Files.readSymbolicLink(mp.resolve("link")));
            try (Stream<Path> s = Files.list(mp)) {
                assertEquals(List.of("big.bin", "dir", "hello.txt", "link"),
                        s.map(p -> p.getFileName().toString()).sorted().toList());
            }
            UserDefinedFileAttributeView xattrs = Files.getFileAttributeView(mp.resolve("hello.txt"),
                    UserDefinedFileAttributeView.class);
            assertEquals(List.of("comment"), xattrs.list());
            ByteBuffer v = ByteBuffer.allocate(64);
            xattrs.read("comment", v);
            assertEquals("greeting", new String(v.array(), 0, v.position(), StandardCharsets.UTF_8));
            assertFalse(Files.exists(mp.resolve("missing")));
            assertThrows(IOException.class, () -> Files.writeString(mp.resolve("new"), "x"));
            assertTrue(Files.getFileStore(mp).isReadOnly());
        }
        assertTrue(h.unmounted().isDone());
        assertFalse(h.isMounted());
        assertEquals(Optional.empty(), MountTable.at(mp));
        h.close(); // twice is harmless
    }

    @Test
    void readsALargeFileWholeAndAsksForReadsAsLargeAsTheBindingAllows() throws Exception {
        Path mp = Files.createDirectory(tmp.resolve("large"));
        MemoryTree tree = new MemoryTree();
        try (MountHandle h = BINDING.mount(mp, tree, MountOptions.forLayer("large-tree"))) {
            h.awaitMounted(WAIT);
            byte[] got = Files.readAllBytes(mp.resolve("big.bin"));
            assertEquals(MemoryTree.BIG_SIZE, got.length);
            for (int i = 0; i < got.length; i++) {
                if (got[i] != MemoryTree.bigByte(i)) {
                    throw new AssertionError("byte " + i + " of big.bin is " + got[i]);
                }
            }
            // a direct read of 1 MiB reaches the filesystem as one request where the binding allows it
            Command.of("dd", "if=" + mp.resolve("big.bin"), "of=/dev/null", "bs=1M", "count=1", "skip=1",
                    "iflag=direct").run(WAIT).orThrow();
            int expected = BINDING.name().equals("kernel") ? MIB : 128 * 1024;
            assertEquals(expected, tree.largestRead(), "largest read request");
        }
    }

    /**
     * The kernel lowers a mount's readahead to what the server answers at INIT whenever that answer comes, so a
     * readahead set while INIT was still unanswered used to fall back to the kernel's 128 KiB on some mounts. Several
     * fresh mounts: each is to keep the readahead its options ask for.
     */
    @Test
    void everyFreshMountKeepsTheReadaheadItsOptionsAskFor() throws Exception {
        MountOptions options = MountOptions.forLayer("readahead-tree");
        for (int i = 0; i < 6; i++) {
            Path mp = Files.createDirectory(tmp.resolve("ra" + i));
            try (MountHandle h = BINDING.mount(mp, new MemoryTree(), options)) {
                h.awaitMounted(WAIT);
                assertArrayEquals(MemoryTree.HELLO, Files.readAllBytes(mp.resolve("hello.txt")));
                String device = MountTable.at(mp).orElseThrow().device();
                assertEquals(Integer.toString(options.readAheadKib()),
                        Files.readString(Path.of("/sys/class/bdi", device, "read_ahead_kb")).trim(),
                        "read_ahead_kb of mount " + i + " (" + device + ")");
            }
        }
    }

    @Test
    void aFileWithALocalCopyIsReadByTheKernelWithoutAskingTheFilesystem() throws Exception {
        Path mp = Files.createDirectory(tmp.resolve("passthrough"));
        MemoryTree tree = new MemoryTree(MemoryTree.writeBig(tmp.resolve("big-copy")));
        MountOptions passthrough = MountOptions.forLayer("passthrough-tree").withPassthrough(true);
        try (MountHandle h = BINDING.mount(mp, tree, passthrough)) {
            h.awaitMounted(WAIT);
            Path big = mp.resolve("big.bin");
            try (InputStream first = Files.newInputStream(big); InputStream second = Files.newInputStream(big)) {
                // two files open at once share the backing file
                assertEquals(MemoryTree.bigByte(0), (byte) first.read());
                second.skipNBytes(1000);
                assertEquals(MemoryTree.bigByte(1000), (byte) second.read());
            }
            byte[] got = Files.readAllBytes(big);
            assertEquals(MemoryTree.BIG_SIZE, got.length);
            for (int i = 0; i < got.length; i++) {
                if (got[i] != MemoryTree.bigByte(i)) {
                    throw new AssertionError("byte " + i + " of big.bin is " + got[i]);
                }
            }
            if (BINDING.name().equals("kernel")) {
                assertEquals(0, tree.reads(), "the kernel read the copy itself (FUSE passthrough)");
            } else {
                assertTrue(tree.reads() > 0, "jnr-fuse (libfuse 2) cannot pass through: the filesystem serves reads");
            }
            int before = tree.reads();
            assertArrayEquals(MemoryTree.HELLO, Files.readAllBytes(mp.resolve("hello.txt")));
            assertTrue(tree.reads() > before, "a file without a copy is served by the filesystem");
        }
    }

    @Test
    void abortedConnectionEndsTheMountAndLeavesNoDeadMount() throws Exception {
        Path mp = Files.createDirectory(tmp.resolve("aborted"));
        MountHandle h = BINDING.mount(mp, new MemoryTree(), MountOptions.forLayer("aborted-tree"));
        h.awaitMounted(WAIT);
        assertArrayEquals(MemoryTree.HELLO, Files.readAllBytes(mp.resolve("hello.txt")));
        String device = MountTable.at(mp).orElseThrow().device();
        assertTrue(FuseConnections.abort(device), "wrote 1 to /sys/fs/fuse/connections/N/abort");
        h.unmounted().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertFalse(h.isMounted());
        assertEquals(Optional.empty(), MountTable.at(mp), "the dead mount was detached");
        try (Stream<Path> s = Files.list(mp)) {
            assertEquals(0, s.count(), "the mount point is an empty directory again");
        }
        h.close(); // unmounting what is gone is harmless
    }

    @Test
    void busyMountIsDetachedAndItsConnectionAborted() throws Exception {
        Path mp = Files.createDirectory(tmp.resolve("busy"));
        MountHandle h = BINDING.mount(mp, new MemoryTree(), MountOptions.forLayer("busy-tree"));
        h.awaitMounted(WAIT);
        InputStream held = Files.newInputStream(mp.resolve("hello.txt"));
        h.unmount(Duration.ofMillis(300));
        assertTrue(h.unmounted().isDone(), "the loop ended although a file was still open");
        assertEquals(Optional.empty(), MountTable.at(mp));
        IOException gone = assertThrows(IOException.class, held::read, "the connection was aborted");
        assertTrue(gone.getMessage().contains("not connected"), gone.getMessage());
        try {
            held.close();
        } catch (IOException e) {
            // jnr-fuse flushes on close; the kernel binding opens files with FOPEN_NOFLUSH
            assertTrue(e.getMessage().contains("not connected"), e.getMessage());
        }
    }

    @Test
    void killedProcessLeavesNoMountBehind() throws Exception {
        Path mp = Files.createDirectory(tmp.resolve("killed"));
        Process child = MountChild.start(mp, BINDING);
        try {
            long watchdog = MountChild.awaitMounted(child);
            assertEquals("fuse.jstargz", MountTable.at(mp).orElseThrow().fsType());
            child.destroyForcibly(); // SIGKILL: no shutdown hook runs
            child.onExit().get(WAIT.toSeconds(), TimeUnit.SECONDS);
            MountChild.awaitExit(watchdog);
            assertEquals(Optional.empty(), MountTable.at(mp), "the watchdog unmounted the dead mount");
            assertTrue(Files.isDirectory(mp));
        } finally {
            child.destroyForcibly();
        }
    }

    @Test
    void staleMountLeftByADeadProcessIsReplaced() throws Exception {
        Path mp = Files.createDirectory(tmp.resolve("stale"));
        Process child = MountChild.start(mp, BINDING);
        try {
            long watchdog = MountChild.awaitMounted(child);
            ProcessHandle.of(watchdog).orElseThrow().destroyForcibly();
            MountChild.awaitExit(watchdog);
            child.destroyForcibly();
            child.onExit().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        } finally {
            child.destroyForcibly();
        }
        assertTrue(MountTable.at(mp).isPresent(), "the dead mount is still there");
        assertThrows(IOException.class, () -> Files.readAttributes(mp, "unix:ino"));

        try (MountHandle h = BINDING.mount(mp, new MemoryTree(), MountOptions.forLayer("replacement"))) {
            h.awaitMounted(WAIT);
            assertEquals("replacement", MountTable.at(mp).orElseThrow().source());
            assertArrayEquals(MemoryTree.HELLO, Files.readAllBytes(mp.resolve("hello.txt")));
        }
    }

    @Test
    void refusesAMountPointThatIsNotEmpty() throws Exception {
        Path mp = Files.createDirectory(tmp.resolve("full"));
        Files.writeString(mp.resolve("file"), "x");
        IOException e = assertThrows(IOException.class,
                () -> BINDING.mount(mp, new MemoryTree(), MountOptions.forLayer("full")));
        assertTrue(e.getMessage().contains("not empty"), e.getMessage());
    }
}
