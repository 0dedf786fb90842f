package io.jstargz.fs.binding.kernel;

import io.jstargz.fs.binding.KeptConnection;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A mount's open inodes ({@link PassthroughFiles}: backing id and open-file count of each inode with files open in
 * the kernel) kept in a file beside its mount point ({@link #fileOf}), so that a server adopting the connection after
 * its last server crashed goes on as that one left them, as after a handover.
 *
 * <p>The file is updated on the request path, before the answer, so it is built to cost next to nothing there: a
 * memory-mapped array of fixed slots, one per open inode, where a change is one to three stores into the page cache
 * and no system call. No fsync, ever: a crash of the process keeps the page cache, so its successor reads what was
 * stored last; a crash of the machine ends the FUSE connections the table describes.
 *
 * <p>A slot is {@code inode} (8 bytes), {@code backing id} (4) and {@code open files} (4); a count of 0 is a free
 * slot. The count is stored last, with release semantics, so whatever store a crash interrupts, the slot reads as the
 * record before it or after it: a new record is invisible until its count is there, and a removed one is gone with
 * its count. The file starts with {@link #MAGIC} and is written whole (a new file renamed into place) only when a
 * server starts recording; it grows by doubling, its new space written with zeros before it is mapped, so a full disk
 * is an error there rather than a fault on a store.
 */
final class OpenInodeTable implements AutoCloseable {
    /** "jsOpenI1", little-endian: a jstargz table of open inodes, format 1. */
    private static final long MAGIC = 0x3149_6e65_704f_736aL;
    private static final int HEADER = 16;
    private static final int SLOT = 16;
    private static final int INODE = 0;
    private static final int BACKING_ID = 8;
    private static final int OPEN_FILES = 12;
    /** A first mapping of one page. */
    private static final int FIRST_SLOTS = (4096 - HEADER) / SLOT;
    private static final VarHandle COUNT = ValueLayout.JAVA_INT.varHandle();

    private final Path file;
    private final FileChannel channel;
    private final Arena arena = Arena.ofShared();
    /** The latest mapping; earlier, smaller ones stay mapped until closing (a store through any reaches the file). */
    private volatile MemorySegment map;
    /** Guards slot allocation and growth. */
    private final Object slots = new Object();
    private int capacity;
    private int used;
    private final ArrayDeque<Integer> free = new ArrayDeque<>();

    private OpenInodeTable(Path file, FileChannel channel, int capacity, int used) throws IOException {
        this.file = file;
        this.channel = channel;
        this.capacity = capacity;
        this.used = used;
        this.map = channel.map(FileChannel.MapMode.READ_WRITE, 0, size(capacity), arena);
    }

    /** Where the table of the mount at {@code mountPoint} is kept: {@code <mount point>.open-inodes} beside it. */
    static Path fileOf(Path mountPoint) {
        return mountPoint.resolveSibling(mountPoint.getFileName() + ".open-inodes");
    }

    /**
     * Starts the table of the mount at {@code mountPoint} with {@code inodes}, the one at index i in slot i, replacing
     * any file there at once (written beside it and renamed into place: a crash meanwhile leaves the old one whole).
     */
    static OpenInodeTable create(Path mountPoint, List<KeptConnection.OpenInode> inodes) throws IOException {
        Path file = fileOf(mountPoint);
        Path tmp = file.resolveSibling(file.getFileName() + ".new");
        int capacity = FIRST_SLOTS;
        while (capacity < inodes.size()) {
            capacity = capacity * 2 + HEADER / SLOT;
        }
        ByteBuffer b = ByteBuffer.allocate((int) size(capacity)).order(ByteOrder.nativeOrder());
        b.putLong(MAGIC).putLong(0);
        for (KeptConnection.OpenInode o : inodes) {
            b.putLong(o.inode()).putInt(o.backingId()).putInt(o.openFiles());
        }
        b.clear();
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            while (b.hasRemaining()) {
                out.write(b);
            }
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            return new OpenInodeTable(file, channel, capacity, inodes.size());
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /**
     * The open inodes in the table of the mount at {@code mountPoint}.
     *
     * @throws java.nio.file.NoSuchFileException if there is none
     * @throws IOException if it cannot be read or is not such a table (the message says what is wrong)
     */
    static List<KeptConnection.OpenInode> read(Path mountPoint) throws IOException {
        Path file = fileOf(mountPoint);
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.nativeOrder());
        if (b.capacity() < HEADER || b.getLong() != MAGIC || (b.capacity() - HEADER) % SLOT != 0) {
            throw new IOException("the table of open inodes " + file + " is malformed: no table header, or a size ("
                    + b.capacity() + " bytes) that is not a whole number of slots");
        }
        b.position(HEADER);
        List<KeptConnection.OpenInode> out = new ArrayList<>();
        Set<Long> seen = new HashSet<>();
        for (int slot = 0; b.hasRemaining(); slot++) {
            long inode = b.getLong();
            int backingId = b.getInt();
            int openFiles = b.getInt();
            if (openFiles == 0) {
                continue;
            }
            if (inode <= 0 || backingId < 0 || openFiles < 0 || !seen.add(inode)) {
                throw new IOException("the table of open inodes " + file + " is malformed at slot " + slot
                        + ": inode " + inode + ", backing id " + backingId + ", " + openFiles + " open files");
            }
            out.add(new KeptConnection.OpenInode(inode, backingId, openFiles));
        }
        return out;
    }

    /** Records a newly open {@code inode}; returns its slot. */
    int add(long inode, int backingId, int openFiles) throws IOException {
        int slot = allocate();
        MemorySegment m = map;
        long at = offset(slot);
        m.set(ValueLayout.JAVA_LONG, at + INODE, inode);
        m.set(ValueLayout.JAVA_INT, at + BACKING_ID, backingId);
        COUNT.setRelease(m, at + OPEN_FILES, openFiles);
        return slot;
    }

    /** The inode in {@code slot} has {@code openFiles} open files now (more than 0). */
    void count(int slot, int openFiles) {
        COUNT.setRelease(map, offset(slot) + OPEN_FILES, openFiles);
    }

    /** The inode in {@code slot} has no open file any more: its record is gone once this returns. */
    void remove(int slot) {
        COUNT.setRelease(map, offset(slot) + OPEN_FILES, 0);
        synchronized (slots) {
            free.push(slot);
        }
    }

    private int allocate() throws IOException {
        synchronized (slots) {
            Integer slot = free.poll();
            if (slot != null) {
                return slot;
            }
            if (used == capacity) {
                grow();
            }
            return used++;
        }
    }

    /** Doubles the slots: the new space is written (zeros, free slots) before it is mapped. */
    private void grow() throws IOException {
        int more = capacity + HEADER / SLOT;
        ByteBuffer zeros = ByteBuffer.allocate(more * SLOT);
        long at = size(capacity);
        while (zeros.hasRemaining()) {
            at += channel.write(zeros, at);
        }
        capacity += more;
        map = channel.map(FileChannel.MapMode.READ_WRITE, 0, size(capacity), arena);
    }

    private static long size(int capacity) {
        return HEADER + (long) capacity * SLOT;
    }

    private static long offset(int slot) {
        return HEADER + (long) slot * SLOT;
    }

    /** Unmaps the table and leaves the file: the connection lives on elsewhere. Call when nothing records any more. */
    @Override
    public void close() throws IOException {
        arena.close();
        channel.close();
    }

    /** Closes the table and removes its file: the mount has ended. */
    void delete() throws IOException {
        close();
        unlink();
    }

    /** Removes the file, as if there were no table; stores go on harmlessly into the unlinked file. */
    void unlink() throws IOException {
        Files.deleteIfExists(file);
    }
}
