package io.jstargz.fs.binding;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A tiny fixed tree for binding tests: {@code /}, {@code /hello.txt}, {@code /dir/}, {@code /link -> hello.txt} and
 * {@code /big.bin} ({@link #BIG_SIZE} bytes of {@link #bigByte}), optionally with a local copy of big.bin to pass
 * through. Counts the reads asked of it and remembers the largest.
 */
final class MemoryTree implements InodeOps {
    static final byte[] HELLO = "hello from jstargz\n".getBytes(StandardCharsets.UTF_8);
    static final int BIG_SIZE = 3 * 1024 * 1024 + 5;
    private static final long HELLO_INODE = 2;
    private static final long LINK_INODE = 4;
    private static final long BIG_INODE = 5;

    private final AtomicInteger largestRead = new AtomicInteger();
    private final AtomicInteger reads = new AtomicInteger();
    private final Path bigCopy;

    private final Map<Long, NodeAttributes> nodes = Map.of(
            ROOT, new NodeAttributes(ROOT, 0040755, 3, 0, 0, 0, 0, 0, 1_600_000_000L),
            HELLO_INODE, new NodeAttributes(HELLO_INODE, 0100644, 1, 1000, 1000, 0, 0, HELLO.length, 1_600_000_001L),
            3L, new NodeAttributes(3, 0041777, 2, 0, 0, 0, 0, 0, 1_600_000_002L),
            LINK_INODE, new NodeAttributes(LINK_INODE, 0120777, 1, 0, 0, 0, 0, 9, 1_600_000_003L),
            BIG_INODE, new NodeAttributes(BIG_INODE, 0100444, 1, 0, 0, 0, 0, BIG_SIZE, 1_600_000_004L));
    private final Map<String, Long> rootNames = Map.of("hello.txt", HELLO_INODE, "dir", 3L, "link", LINK_INODE,
            "big.bin", BIG_INODE);

    MemoryTree() {
        this(null);
    }

    /** A tree whose big.bin has a local copy at {@code bigCopy} (written here) for passthrough. */
    MemoryTree(Path bigCopy) {
        this.bigCopy = bigCopy;
    }

    /** Writes the content of big.bin to {@code file}. */
    static Path writeBig(Path file) throws IOException {
        byte[] b = new byte[BIG_SIZE];
        for (int i = 0; i < b.length; i++) {
            b[i] = bigByte(i);
        }
        return Files.write(file, b);
    }

    /** The byte at {@code offset} of {@code /big.bin}. */
    static byte bigByte(long offset) {
        return (byte) (offset * 31 + (offset >>> 16));
    }

    /** How many reads were asked of this tree so far. */
    int reads() {
        return reads.get();
    }

    /** The largest read size asked of this tree so far. */
    int largestRead() {
        return largestRead.get();
    }

    @Override
    public NodeAttributes lookup(long parent, String name) throws FsException {
        Long inode = parent == ROOT ? rootNames.get(name) : null;
        if (inode == null) {
            throw FsException.ENOENT;
        }
        return nodes.get(inode);
    }

    @Override
    public NodeAttributes getattr(long inode) throws FsException {
        NodeAttributes a = nodes.get(inode);
        if (a == null) {
            throw FsException.ENOENT;
        }
        return a;
    }

    @Override
    public List<DirectoryEntry> readdir(long inode) throws FsException {
        if (!getattr(inode).isDirectory()) {
            throw new FsException(Errno.ENOTDIR, "inode " + inode);
        }
        if (inode != ROOT) {
            return List.of();
        }
        return rootNames.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .map(e -> new DirectoryEntry(e.getKey(), nodes.get(e.getValue()))).toList();
    }

    @Override
    public String readlink(long inode) throws FsException {
        if (inode != LINK_INODE) {
            throw new FsException(Errno.EINVAL, "inode " + inode);
        }
        return "hello.txt";
    }

    @Override
    public long open(long inode, int flags) throws FsException {
        if (inode != HELLO_INODE && inode != BIG_INODE) {
            throw FsException.ENOENT;
        }
        return inode;
    }

    @Override
    public int read(long handle, long offset, int size, ReadTarget target) {
        reads.incrementAndGet();
        largestRead.accumulateAndGet(size, Math::max);
        if (handle == HELLO_INODE) {
            int n = (int) Math.max(0, Math.min(size, HELLO.length - offset));
            target.put(0, HELLO, (int) offset, n);
            return n;
        }
        int n = (int) Math.max(0, Math.min(size, BIG_SIZE - offset));
        byte[] bytes = new byte[n];
        for (int i = 0; i < n; i++) {
            bytes[i] = bigByte(offset + i);
        }
        target.put(0, bytes, 0, n);
        return n;
    }

    @Override
    public void release(long handle) {
    }

    @Override
    public Path backingFile(long inode) {
        return inode == BIG_INODE ? bigCopy : null;
    }

    @Override
    public byte[] getxattr(long inode, String name) throws FsException {
        if (inode == HELLO_INODE && name.equals("user.comment")) {
            return "greeting".getBytes(StandardCharsets.UTF_8);
        }
        getattr(inode);
        throw FsException.ENODATA;
    }

    @Override
    public List<String> listxattr(long inode) throws FsException {
        getattr(inode);
        return inode == HELLO_INODE ? List.of("user.comment") : List.of();
    }

    @Override
    public FilesystemStatistics statfs() {
        return new FilesystemStatistics(4096, 1, nodes.size(), 255);
    }
}
