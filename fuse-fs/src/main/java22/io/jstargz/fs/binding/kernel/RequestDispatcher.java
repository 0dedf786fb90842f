package io.jstargz.fs.binding.kernel;

import static io.jstargz.fs.binding.kernel.FuseProtocol.*;

import io.jstargz.fs.binding.DirectoryEntry;
import io.jstargz.fs.binding.Errno;
import io.jstargz.fs.binding.FilesystemStatistics;
import io.jstargz.fs.binding.FsException;
import io.jstargz.fs.binding.InodeOps;
import io.jstargz.fs.binding.KeptConnection;
import io.jstargz.fs.binding.MountOptions;
import io.jstargz.fs.binding.NodeAttributes;
import io.jstargz.fs.binding.OperationStats;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers FUSE requests from an {@link InodeOps}: decodes each request, calls the operation and encodes its answer,
 * the way the kernel's protocol lays them out. Node ids are the filesystem's inode numbers, so lookups and forgets
 * need no bookkeeping. Everything a read-only layer needs is answered; writes get EROFS, the rest ENOSYS (the kernel
 * then stops asking, or falls back to its own implementation). Thread-safe: every worker shares one dispatcher.
 */
final class RequestDispatcher {
    private static final Logger log = LoggerFactory.getLogger(RequestDispatcher.class);
    private static final int ARG = IN_HEADER_SIZE;
    private static final int BLOCK_SIZE = 4096;
    private static final int PAGE_SIZE = 4096;
    /** Writes never reach a read-only mount; the kernel's minimum keeps the request buffers small. */
    private static final int MAX_WRITE = 4096;
    /** Readahead and async reads in flight per mount (the kernel's default is 12). */
    private static final int MAX_BACKGROUND = 64;
    private static final int W_OK = 2;
    /** {@code ino} shown for {@code ..}: the binding does not track parents. */
    private static final long UNKNOWN_INO = 0xffffffffL;
    private static final byte[] DOT = {'.'};
    private static final byte[] DOT_DOT = {'.', '.'};

    /** What INIT settled: the protocol minor version and the flags both sides want. */
    record Negotiated(int minor, long flags) {
    }

    /** Told how the kernel's INIT went. */
    interface InitListener {
        void initialised(Negotiated negotiated);

        /** The kernel speaks a protocol this binding cannot serve; it was answered with an error. */
        void refused(IOException why);
    }

    private final InodeOps ops;
    private final MountOptions options;
    private final InitListener onInit;
    private final DirectoryListings listings = new DirectoryListings();
    private final PassthroughFiles passthroughFiles;
    private final OperationStats operations = new OperationStats();
    private final OperationStats.Counter[] counters = new OperationStats.Counter[OPCODE_NAMES.size()];
    private final OperationStats.Counter otherCounter = operations.counter("other");
    private final int openFlags;
    private final int dirOpenFlags;
    /** Whether INIT granted passthrough (asked for when the options want it). */
    private volatile boolean passthrough;

    RequestDispatcher(InodeOps ops, MountOptions options, FuseDevice device, Path mountPoint, InitListener onInit) {
        this.ops = ops;
        this.options = options;
        this.onInit = onInit;
        this.passthroughFiles = new PassthroughFiles(ops, device, options.fsName(), mountPoint);
        for (int op = 0; op < counters.length; op++) {
            String name = OPCODE_NAMES.get(op);
            counters[op] = name == null ? otherCounter : operations.counter(name);
        }
        // nothing is ever written, so a close needs no FLUSH request (7.35+; older kernels ignore the flag)
        this.openFlags = FOPEN_NOFLUSH | (options.kernelCache() ? FOPEN_KEEP_CACHE : 0);
        this.dirOpenFlags = options.kernelCache() ? FOPEN_KEEP_CACHE | FOPEN_CACHE_DIR : 0;
    }

    /**
     * Serves a connection another process initialised as {@code kept} says (INIT is never sent twice), going on with
     * the files it left open. Call before serving.
     */
    void adopted(KeptConnection kept) {
        passthrough = (kept.flags() & PASSTHROUGH) != 0;
        if (passthrough) {
            passthroughFiles.adopted(kept.openInodes());
        }
    }

    /**
     * No request is served any more: the table of open inodes on disk is removed when the mount has ended
     * ({@code ended}), and left for the next server when the connection was handed over.
     */
    void stopped(boolean ended) {
        passthroughFiles.stopKeeping(ended);
    }

    /** The inodes with open files now ({@link KeptConnection#openInodes}); call it with no request being served. */
    List<KeptConnection.OpenInode> openInodes() {
        return passthroughFiles.openInodes();
    }

    /** The requests served, by operation (FUSE's opcode names), with the time their handlers took. */
    OperationStats operations() {
        return operations;
    }

    /** Answers the request of {@code length} bytes in {@code in} (some requests get no answer). */
    void serve(MemorySegment in, int length, ReplyWriter reply) throws IOException {
        int opcode = in.get(ValueLayout.JAVA_INT, IN_OPCODE);
        OperationStats.Counter counter = opcode >= 0 && opcode < counters.length ? counters[opcode] : otherCounter;
        long start = counter.start();
        long unique = in.get(ValueLayout.JAVA_LONG, IN_UNIQUE);
        long node = in.get(ValueLayout.JAVA_LONG, IN_NODEID);
        reply.serving(counter, start);
        try {
            switch (opcode) {
                case INIT -> init(unique, in, reply);
                case LOOKUP -> lookup(unique, node, in.getString(ARG), reply);
                // node ids are inode numbers (nothing to forget); operations cannot be interrupted
                case FORGET, BATCH_FORGET, INTERRUPT -> { }
                case GETATTR -> attributes(unique, ops.getattr(node), reply);
                case READLINK -> bytes(unique, ops.readlink(node).getBytes(StandardCharsets.UTF_8), reply);
                case OPEN -> open(unique, node, in.get(ValueLayout.JAVA_INT, ARG + OPEN_IN_FLAGS), reply);
                case READ -> read(unique, in, reply);
                case RELEASE -> {
                    ops.release(in.get(ValueLayout.JAVA_LONG, ARG + RELEASE_FH));
                    if (passthrough) {
                        passthroughFiles.released(node);
                    }
                    reply.ok(unique);
                }
                case OPENDIR -> opendir(unique, node, reply);
                case READDIR -> readdir(unique, node, in, false, reply);
                case READDIRPLUS -> readdir(unique, node, in, true, reply);
                case RELEASEDIR -> {
                    listings.close(node);
                    reply.ok(unique);
                }
                case STATFS -> statfs(unique, reply);
                case GETXATTR -> sized(unique, in, ops.getxattr(node, in.getString(ARG + GETXATTR_IN_SIZE)), reply);
                case LISTXATTR -> sized(unique, in, nulSeparated(ops.listxattr(node)), reply);
                case ACCESS -> {
                    if ((in.get(ValueLayout.JAVA_INT, ARG + ACCESS_MASK) & W_OK) != 0) {
                        reply.error(unique, Libc.EROFS);
                    } else {
                        reply.ok(unique);
                    }
                }
                case FLUSH, DESTROY -> reply.ok(unique);
                case SETATTR, SYMLINK, MKNOD, MKDIR, UNLINK, RMDIR, RENAME, LINK, WRITE, SETXATTR, REMOVEXATTR,
                        CREATE, FALLOCATE, RENAME2, COPY_FILE_RANGE, TMPFILE -> reply.error(unique, Libc.EROFS);
                default -> reply.error(unique, Libc.ENOSYS);
            }
        } catch (FsException e) {
            reply.error(unique, errno(e.errno()));
        } catch (RuntimeException e) {
            log.error("{}: FUSE operation {} on node {} failed unexpectedly", options.fsName(), opcode, node, e);
            reply.error(unique, Libc.EIO);
        } finally {
            reply.counted();
        }
    }

    private void init(long unique, MemorySegment in, ReplyWriter reply) throws IOException {
        int major = in.get(ValueLayout.JAVA_INT, ARG + INIT_MAJOR);
        int minor = in.get(ValueLayout.JAVA_INT, ARG + INIT_MINOR);
        if (major != KERNEL_VERSION || minor < OLDEST_MINOR_VERSION) {
            reply.error(unique, Libc.EPROTO);
            onInit.refused(new IOException("the kernel speaks FUSE " + major + "." + minor + "; this binding needs "
                    + KERNEL_VERSION + "." + OLDEST_MINOR_VERSION + " or later"));
            return;
        }
        long offered = Integer.toUnsignedLong(in.get(ValueLayout.JAVA_INT, ARG + INIT_FLAGS));
        if ((offered & INIT_EXT) != 0) {
            offered |= Integer.toUnsignedLong(in.get(ValueLayout.JAVA_INT, ARG + INIT_IN_FLAGS2)) << 32;
        }
        long wanted = ASYNC_READ | DO_READDIRPLUS | READDIRPLUS_AUTO | ASYNC_DIO | PARALLEL_DIROPS | MAX_PAGES
                | CACHE_SYMLINKS | INIT_EXT | (options.passthrough() ? PASSTHROUGH : 0);
        long granted = offered & wanted;
        passthrough = (granted & PASSTHROUGH) != 0;
        if (options.passthrough() && !passthrough) {
            log.warn("{}: the kernel does not offer FUSE passthrough (it needs CONFIG_FUSE_PASSTHROUGH, Linux 6.9+);"
                    + " the daemon serves every read", options.fsName());
        }
        if (passthrough) {
            passthroughFiles.started();
        }
        MemorySegment out = reply.start(unique, INIT_OUT_SIZE);
        out.asSlice(OUT_HEADER_SIZE, INIT_OUT_SIZE).fill((byte) 0);
        int o = OUT_HEADER_SIZE;
        out.set(ValueLayout.JAVA_INT, o + INIT_MAJOR, KERNEL_VERSION);
        out.set(ValueLayout.JAVA_INT, o + INIT_MINOR, Math.min(minor, MINOR_VERSION));
        out.set(ValueLayout.JAVA_INT, o + INIT_MAX_READAHEAD, maxReadahead(in));
        out.set(ValueLayout.JAVA_INT, o + INIT_FLAGS, (int) granted);
        out.set(ValueLayout.JAVA_SHORT, o + INIT_OUT_MAX_BACKGROUND, (short) MAX_BACKGROUND);
        out.set(ValueLayout.JAVA_SHORT, o + INIT_OUT_CONGESTION_THRESHOLD, (short) (MAX_BACKGROUND * 3 / 4));
        out.set(ValueLayout.JAVA_INT, o + INIT_OUT_MAX_WRITE, MAX_WRITE);
        out.set(ValueLayout.JAVA_INT, o + INIT_OUT_TIME_GRAN, 1);
        out.set(ValueLayout.JAVA_SHORT, o + INIT_OUT_MAX_PAGES, (short) (options.maxRead() / PAGE_SIZE));
        out.set(ValueLayout.JAVA_INT, o + INIT_OUT_FLAGS2, (int) (granted >>> 32));
        // passthrough stacks this filesystem on the backing files' one: one level, so overlayfs still fits above
        out.set(ValueLayout.JAVA_INT, o + INIT_OUT_MAX_STACK_DEPTH, passthrough ? 1 : 0);
        reply.send(INIT_OUT_SIZE);
        onInit.initialised(new Negotiated(Math.min(minor, MINOR_VERSION), granted));
    }

    /**
     * The readahead to answer INIT with: the mount's own ({@link MountOptions#readAheadKib}), when larger than the
     * kernel's offer. The kernel sets the mount's readahead to the smaller of the answer and what it has when the
     * answer arrives, and the mount's handle writes the options' readahead to sysfs as soon as mount(2) returns,
     * which may be before or after INIT is answered; answering the kernel's offer (its 128 KiB default) undid that
     * write whenever it came first, and those mounts read in 128 KiB requests.
     */
    private int maxReadahead(MemorySegment in) {
        int offered = in.get(ValueLayout.JAVA_INT, ARG + INIT_MAX_READAHEAD);
        return Integer.compareUnsigned(offered, options.readAheadBytes()) < 0 ? options.readAheadBytes() : offered;
    }

    private void lookup(long unique, long parent, String name, ReplyWriter reply) throws IOException, FsException {
        NodeAttributes a;
        try {
            a = ops.lookup(parent, name);
        } catch (FsException e) {
            if (e.errno() != Errno.ENOENT) {
                throw e;
            }
            // node id 0: the kernel caches the absence for the negative timeout
            MemorySegment out = reply.start(unique, ENTRY_OUT_SIZE);
            out.asSlice(OUT_HEADER_SIZE, ENTRY_OUT_SIZE).fill((byte) 0);
            putValid(out, OUT_HEADER_SIZE + ENTRY_VALID, OUT_HEADER_SIZE + ENTRY_VALID_NSEC,
                    options.negativeTimeout());
            reply.send(ENTRY_OUT_SIZE);
            return;
        }
        MemorySegment out = reply.start(unique, ENTRY_OUT_SIZE);
        putEntry(out, OUT_HEADER_SIZE, a);
        reply.send(ENTRY_OUT_SIZE);
    }

    private void attributes(long unique, NodeAttributes a, ReplyWriter reply) throws IOException {
        MemorySegment out = reply.start(unique, ATTR_OUT_SIZE);
        int o = OUT_HEADER_SIZE;
        putValid(out, o + ATTR_OUT_VALID, o + ATTR_OUT_VALID_NSEC, options.attrTimeout());
        out.set(ValueLayout.JAVA_INT, o + ATTR_OUT_VALID_NSEC + 4, 0);
        putAttr(out, o + ATTR_OUT_ATTR, a);
        reply.send(ATTR_OUT_SIZE);
    }

    /** A file passed through gets no caching flag: the kernel refuses KEEP_CACHE with it. */
    private void open(long unique, long node, int flags, ReplyWriter reply) throws IOException, FsException {
        long handle = ops.open(node, flags);
        int backingId = passthrough ? passthroughFiles.opened(node) : 0;
        opened(unique, handle, backingId > 0 ? FOPEN_PASSTHROUGH | FOPEN_NOFLUSH : openFlags, backingId, reply);
    }

    private void opened(long unique, long handle, int flags, int backingId, ReplyWriter reply) throws IOException {
        MemorySegment out = reply.start(unique, OPEN_OUT_SIZE);
        out.set(ValueLayout.JAVA_LONG, OUT_HEADER_SIZE + OPEN_OUT_FH, handle);
        out.set(ValueLayout.JAVA_INT, OUT_HEADER_SIZE + OPEN_OUT_FLAGS, flags);
        out.set(ValueLayout.JAVA_INT, OUT_HEADER_SIZE + OPEN_OUT_BACKING_ID, backingId);
        reply.send(OPEN_OUT_SIZE);
    }

    private void read(long unique, MemorySegment in, ReplyWriter reply) throws IOException, FsException {
        long handle = in.get(ValueLayout.JAVA_LONG, ARG + READ_FH);
        long offset = in.get(ValueLayout.JAVA_LONG, ARG + READ_OFFSET);
        int size = Math.min(in.get(ValueLayout.JAVA_INT, ARG + READ_SIZE), options.maxRead());
        reply.startRead(unique, size);
        int n = ops.read(handle, offset, size, reply);
        reply.send(n);
    }

    private void opendir(long unique, long node, ReplyWriter reply) throws IOException, FsException {
        listings.open(node, listing(node));
        opened(unique, node, dirOpenFlags, 0, reply);
    }

    private DirectoryListings.Listing listing(long node) throws FsException {
        NodeAttributes self = ops.getattr(node);
        List<DirectoryEntry> entries = ops.readdir(node);
        return new DirectoryListings.Listing(self, entries);
    }

    /**
     * A page of an open directory from entry {@code offset} on: {@code .} and {@code ..} first, then its names;
     * each entry's offset is the position of the next. With {@code plus}, each entry carries its attributes and
     * counts as a lookup.
     */
    private void readdir(long unique, long node, MemorySegment in, boolean plus, ReplyWriter reply)
            throws IOException, FsException {
        long offset = in.get(ValueLayout.JAVA_LONG, ARG + READ_OFFSET);
        int size = Math.min(in.get(ValueLayout.JAVA_INT, ARG + READ_SIZE), ReplyWriter.SMALL_PAYLOAD);
        DirectoryListings.Listing listing = listings.get(node);
        if (listing == null) { // opened before a handover or a crash, by the server before this one
            listing = listing(node);
            listings.open(node, listing);
        }
        List<DirectoryEntry> entries = listing.entries();
        MemorySegment out = reply.start(unique, size);
        int pos = 0;
        for (long i = offset; i < entries.size() + 2L; i++) {
            byte[] name;
            NodeAttributes a;
            if (i < 2) {
                name = i == 0 ? DOT : DOT_DOT;
                a = listing.self();
            } else {
                DirectoryEntry e = entries.get((int) (i - 2));
                name = e.name().getBytes(StandardCharsets.UTF_8);
                a = e.attributes();
            }
            int direntAt = plus ? pos + ENTRY_OUT_SIZE : pos;
            int end = direntAt + align8(DIRENT_NAME + name.length);
            if (end > size) {
                break;
            }
            int o = OUT_HEADER_SIZE;
            out.asSlice(o + pos, end - pos).fill((byte) 0);
            if (plus && i >= 2) {
                putEntry(out, o + pos, a);
            }
            out.set(ValueLayout.JAVA_LONG, o + direntAt + DIRENT_INO, i == 1 ? UNKNOWN_INO : a.inode());
            out.set(ValueLayout.JAVA_LONG, o + direntAt + DIRENT_OFF, i + 1);
            out.set(ValueLayout.JAVA_INT, o + direntAt + DIRENT_NAMELEN, name.length);
            out.set(ValueLayout.JAVA_INT, o + direntAt + DIRENT_TYPE, (a.mode() & NodeAttributes.S_IFMT) >>> 12);
            MemorySegment.copy(name, 0, out, ValueLayout.JAVA_BYTE, o + direntAt + DIRENT_NAME, name.length);
            pos = end;
        }
        reply.send(pos);
    }

    private void statfs(long unique, ReplyWriter reply) throws IOException {
        FilesystemStatistics s = ops.statfs();
        MemorySegment out = reply.start(unique, STATFS_OUT_SIZE);
        int o = OUT_HEADER_SIZE;
        out.asSlice(o, STATFS_OUT_SIZE).fill((byte) 0);
        out.set(ValueLayout.JAVA_LONG, o + STATFS_BLOCKS, s.blocks());
        out.set(ValueLayout.JAVA_LONG, o + STATFS_FILES, s.files());
        out.set(ValueLayout.JAVA_INT, o + STATFS_BSIZE, (int) s.blockSize());
        out.set(ValueLayout.JAVA_INT, o + STATFS_NAMELEN, (int) s.nameMax());
        out.set(ValueLayout.JAVA_INT, o + STATFS_FRSIZE, (int) s.blockSize());
        reply.send(STATFS_OUT_SIZE);
    }

    private void bytes(long unique, byte[] value, ReplyWriter reply) throws IOException {
        MemorySegment out = reply.start(unique, value.length);
        MemorySegment.copy(value, 0, out, ValueLayout.JAVA_BYTE, OUT_HEADER_SIZE, value.length);
        reply.send(value.length);
    }

    /** GETXATTR and LISTXATTR: the size when asked with size 0, ERANGE when it does not fit, else the value. */
    private void sized(long unique, MemorySegment in, byte[] value, ReplyWriter reply) throws IOException {
        int size = in.get(ValueLayout.JAVA_INT, ARG + GETXATTR_SIZE);
        if (size == 0) {
            MemorySegment out = reply.start(unique, GETXATTR_OUT_SIZE);
            out.set(ValueLayout.JAVA_LONG, OUT_HEADER_SIZE, 0);
            out.set(ValueLayout.JAVA_INT, OUT_HEADER_SIZE, value.length);
            reply.send(GETXATTR_OUT_SIZE);
        } else if (value.length > size || value.length > ReplyWriter.SMALL_PAYLOAD) {
            reply.error(unique, Libc.ERANGE);
        } else {
            bytes(unique, value, reply);
        }
    }

    private static byte[] nulSeparated(List<String> names) {
        StringBuilder b = new StringBuilder();
        for (String n : names) {
            b.append(n).append('\0');
        }
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    private void putEntry(MemorySegment out, int at, NodeAttributes a) {
        out.set(ValueLayout.JAVA_LONG, at + ENTRY_NODEID, a.inode());
        out.set(ValueLayout.JAVA_LONG, at + ENTRY_NODEID + 8, 0); // generation: inode numbers are never reused
        putValid(out, at + ENTRY_VALID, at + ENTRY_VALID_NSEC, options.entryTimeout());
        putValid(out, at + ENTRY_ATTR_VALID, at + ENTRY_ATTR_VALID_NSEC, options.attrTimeout());
        putAttr(out, at + ENTRY_ATTR, a);
    }

    private static void putValid(MemorySegment out, int secondsAt, int nanosAt, Duration d) {
        out.set(ValueLayout.JAVA_LONG, secondsAt, d.toSeconds());
        out.set(ValueLayout.JAVA_INT, nanosAt, d.toNanosPart());
    }

    /** {@code struct fuse_attr}; times are whole seconds (the TOC has no more). */
    private static void putAttr(MemorySegment out, int at, NodeAttributes a) {
        out.asSlice(at, ATTR_STRUCT_SIZE).fill((byte) 0);
        out.set(ValueLayout.JAVA_LONG, at + ATTR_INO, a.inode());
        out.set(ValueLayout.JAVA_LONG, at + ATTR_SIZE, a.size());
        out.set(ValueLayout.JAVA_LONG, at + ATTR_BLOCKS, (a.size() + 511) / 512);
        out.set(ValueLayout.JAVA_LONG, at + ATTR_ATIME, a.mtimeSeconds());
        out.set(ValueLayout.JAVA_LONG, at + ATTR_MTIME, a.mtimeSeconds());
        out.set(ValueLayout.JAVA_LONG, at + ATTR_CTIME, a.mtimeSeconds());
        out.set(ValueLayout.JAVA_INT, at + ATTR_MODE, a.mode());
        out.set(ValueLayout.JAVA_INT, at + ATTR_NLINK, a.linkCount());
        out.set(ValueLayout.JAVA_INT, at + ATTR_UID, (int) a.uid());
        out.set(ValueLayout.JAVA_INT, at + ATTR_GID, (int) a.gid());
        out.set(ValueLayout.JAVA_INT, at + ATTR_RDEV, encodeDevice(a.deviceMajor(), a.deviceMinor()));
        out.set(ValueLayout.JAVA_INT, at + ATTR_BLKSIZE, BLOCK_SIZE);
    }

    /** The kernel's {@code new_encode_dev}: how {@code fuse_attr.rdev} carries a device number. */
    private static int encodeDevice(long major, long minor) {
        return (int) ((minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xffL) << 12));
    }

    private static int errno(Errno e) {
        return switch (e) {
            case ENOENT -> Libc.ENOENT;
            case ENOTDIR -> Libc.ENOTDIR;
            case EISDIR -> Libc.EISDIR;
            case EIO -> Libc.EIO;
            case ENODATA -> Libc.ENODATA;
            case ERANGE -> Libc.ERANGE;
            case EROFS -> Libc.EROFS;
            case EINVAL -> Libc.EINVAL;
            case EBADF -> Libc.EBADF;
            case ENOSYS -> Libc.ENOSYS;
        };
    }
}
