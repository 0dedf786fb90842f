package io.jstargz.fs;

import io.jstargz.estargz.DirEntry;
import io.jstargz.estargz.Entry;
import io.jstargz.estargz.EntryType;
import io.jstargz.estargz.Landmarks;
import io.jstargz.estargz.LayerIndex;
import io.jstargz.fs.binding.DirectoryEntry;
import io.jstargz.fs.binding.Errno;
import io.jstargz.fs.binding.FilesystemStatistics;
import io.jstargz.fs.binding.FsException;
import io.jstargz.fs.binding.InodeOps;
import io.jstargz.fs.binding.NodeAttributes;
import io.jstargz.fs.binding.ReadTarget;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One eStargz layer as a read-only filesystem, the way overlayfs expects a lower layer: every TOC entry type with its
 * mode, owner, times, link count and xattrs; {@code .wh.NAME} shown as a whiteout (character device 0/0 named NAME);
 * a directory holding {@code .wh..wh..opq} marked opaque ({@code trusted.overlay.opaque} and
 * {@code user.overlay.opaque} = {@code y}); the markers and the landmark files hidden. Inode numbers are the index's,
 * stable for the life of the mount. File contents come from a {@link ChunkFetcher}.
 */
public final class LayerFilesystem implements InodeOps {
    private static final Logger log = LoggerFactory.getLogger(LayerFilesystem.class);
    static final List<String> OPAQUE_XATTRS = List.of("trusted.overlay.opaque", "user.overlay.opaque");
    private static final byte[] OPAQUE_VALUE = {'y'};
    /**
     * The answer to every attribute query on a layer that has no attribute. The kernel remembers ENOSYS for the
     * connection and stops asking: overlayfs and exec ask on every lookup and exec (security.capability,
     * trusted.overlay.*), about a quarter of a Python start's FUSE requests, and take "not supported" as "none".
     */
    private static final FsException NO_XATTRS = new FsException(Errno.ENOSYS, "the layer has no extended attributes");
    private static final int S_IFCHR = 0020000;
    private static final int O_ACCMODE = 3;
    private static final int BLOCK_SIZE = 4096;
    private static final int NAME_MAX = 255;

    private final LayerIndex index;
    private final ChunkFetcher fetcher;
    private final FetchCounters counters;
    private final AccessListener listener;
    private final AtomicLongArray opened;
    private final FilesystemStatistics statistics;
    private final FileCopies copies;
    private final boolean hasXattrs;

    /** {@code copies}: local copies of whole files for passthrough, or null for none. */
    LayerFilesystem(LayerIndex index, ChunkFetcher fetcher, FetchCounters counters, AccessListener listener,
                    FileCopies copies) {
        this.index = index;
        this.fetcher = fetcher;
        this.counters = counters;
        this.listener = listener;
        this.copies = copies;
        this.hasXattrs = index.hasXattrs();
        this.opened = new AtomicLongArray(index.entryCount() / 64 + 2);
        long bytes = 0;
        for (int ino = 1; ino <= index.entryCount(); ino++) {
            bytes += index.entry(ino).size();
        }
        this.statistics = new FilesystemStatistics(BLOCK_SIZE, (bytes + BLOCK_SIZE - 1) / BLOCK_SIZE,
                index.entryCount(), NAME_MAX);
    }

    @Override
    public NodeAttributes lookup(long parent, String name) throws FsException {
        Entry dir = entry(parent);
        if (!dir.isDirectory()) {
            throw new FsException(Errno.ENOTDIR, "inode " + parent + " (\"" + dir.path() + "\") is not a directory");
        }
        DirEntry d = index.overlayLookup(dir, name);
        if (d == null) {
            throw FsException.ENOENT;
        }
        return attributes(d);
    }

    @Override
    public NodeAttributes getattr(long inode) throws FsException {
        return attributes(node(inode));
    }

    @Override
    public List<DirectoryEntry> readdir(long inode) throws FsException {
        DirEntry d = node(inode);
        if (d.whiteout() || !d.entry().isDirectory()) {
            throw new FsException(Errno.ENOTDIR, d.entry().path());
        }
        List<DirEntry> children = index.overlayChildren(d.entry());
        List<DirectoryEntry> out = new ArrayList<>(children.size());
        for (DirEntry c : children) {
            out.add(new DirectoryEntry(c.name(), attributes(c)));
        }
        return out;
    }

    @Override
    public String readlink(long inode) throws FsException {
        DirEntry d = node(inode);
        if (d.whiteout() || d.entry().type() != EntryType.SYMLINK) {
            throw new FsException(Errno.EINVAL, d.entry().path() + " is not a symlink");
        }
        return d.entry().linkName();
    }

    @Override
    public long open(long inode, int flags) throws FsException {
        DirEntry d = node(inode);
        Entry e = d.entry();
        if (d.whiteout()) {
            throw FsException.ENOENT;
        }
        if (e.isDirectory()) {
            throw new FsException(Errno.EISDIR, e.path());
        }
        if ((flags & O_ACCMODE) != 0) {
            throw new FsException(Errno.EROFS, e.path());
        }
        if (!e.isRegular()) {
            throw new FsException(Errno.EINVAL, e.path() + " is not a regular file");
        }
        if (listener != null && firstOpen(e.inode())) {
            try {
                listener.firstOpened(e.path());
            } catch (RuntimeException ex) {
                log.warn("layer {}: the access listener failed on \"{}\"", index.layerName(), e.path(), ex);
            }
        }
        return e.inode();
    }

    @Override
    public int read(long handle, long offset, int size, ReadTarget target) throws FsException {
        Entry e = index.entry(handle);
        if (e == null || !e.isRegular()) {
            throw new FsException(Errno.EBADF, "bad handle " + handle);
        }
        try {
            return fetcher.read(e, offset, size, target);
        } catch (IOException ex) {
            counters.failedReads.increment();
            // the message names the layer, the file and the chunk's offset
            log.warn("read of \"{}\" at offset {} ({} bytes) failed with EIO: {}", e.path(), offset, size,
                    ex.getMessage());
            throw new FsException(Errno.EIO, ex.getMessage(), ex);
        }
    }

    @Override
    public void release(long handle) {
        // handles are inode numbers: nothing to free
    }

    @Override
    public Path backingFile(long inode) {
        Entry e = index.entry(inode);
        return copies == null || e == null || !e.isRegular() ? null : copies.ready(e);
    }

    @Override
    public byte[] getxattr(long inode, String name) throws FsException {
        if (!hasXattrs) {
            throw NO_XATTRS;
        }
        DirEntry d = node(inode);
        if (d.whiteout()) {
            throw FsException.ENODATA;
        }
        if (d.entry().isOpaque() && OPAQUE_XATTRS.contains(name)) {
            return OPAQUE_VALUE.clone();
        }
        byte[] v = d.entry().xattr(name);
        if (v == null) {
            throw FsException.ENODATA;
        }
        return v;
    }

    @Override
    public List<String> listxattr(long inode) throws FsException {
        if (!hasXattrs) {
            throw NO_XATTRS;
        }
        DirEntry d = node(inode);
        if (d.whiteout()) {
            return List.of();
        }
        List<String> names = new ArrayList<>();
        if (d.entry().isOpaque()) {
            names.addAll(OPAQUE_XATTRS);
        }
        names.addAll(d.entry().xattrNames());
        return names;
    }

    @Override
    public FilesystemStatistics statfs() {
        return statistics;
    }

    private Entry entry(long inode) throws FsException {
        Entry e = index.entry(inode);
        if (e == null) {
            throw new FsException(Errno.ENOENT, "layer " + index.layerName() + " has no inode " + inode);
        }
        return e;
    }

    /**
     * A node as the overlay view shows it: an entry {@code .wh.NAME} is only ever handed out as the whiteout NAME
     * ({@link LayerIndex#overlayLookup} hides it otherwise).
     */
    private DirEntry node(long inode) throws FsException {
        Entry e = entry(inode);
        String name = e.name();
        boolean whiteout = name.startsWith(Landmarks.WHITEOUT_PREFIX) && !name.equals(Landmarks.OPAQUE_MARKER);
        return new DirEntry(name, e, whiteout);
    }

    static NodeAttributes attributes(DirEntry d) {
        Entry e = d.entry();
        if (d.whiteout()) {
            return new NodeAttributes(e.inode(), S_IFCHR, 1, 0, 0, 0, 0, 0, e.modTimeSeconds());
        }
        long size = switch (e.type()) {
            case REG -> e.size();
            case SYMLINK -> e.linkNameLength();
            default -> 0;
        };
        return new NodeAttributes(e.inode(), e.unixMode(), Math.max(1, e.numLink()), e.uid(), e.gid(),
                e.devMajor(), e.devMinor(), size, e.modTimeSeconds());
    }

    private boolean firstOpen(long inode) {
        int word = (int) (inode >>> 6);
        long bit = 1L << (inode & 63);
        while (true) {
            long old = opened.get(word);
            if ((old & bit) != 0) {
                return false;
            }
            if (opened.compareAndSet(word, old, old | bit)) {
                return true;
            }
        }
    }
}
