package io.jstargz.fs.binding;

import java.util.List;

/**
 * {@link FilesystemOps} over {@link InodeOps}: each path is resolved from the root, one lookup per name. For the
 * jnr-fuse binding (libfuse's high-level API hands over paths) and for tools and tests that address files by path.
 */
public final class PathAddressedOps implements FilesystemOps {
    private final InodeOps ops;

    public PathAddressedOps(InodeOps ops) {
        this.ops = ops;
    }

    /** The inode at an absolute path ({@code /} or {@code /a/b}). */
    public long resolve(String path) throws FsException {
        long inode = InodeOps.ROOT;
        int start = 1;
        while (start < path.length()) {
            int slash = path.indexOf('/', start);
            int end = slash < 0 ? path.length() : slash;
            if (end > start) {
                inode = ops.lookup(inode, path.substring(start, end)).inode();
            }
            start = end + 1;
        }
        return inode;
    }

    @Override
    public NodeAttributes getattr(String path) throws FsException {
        return ops.getattr(resolve(path));
    }

    @Override
    public List<DirectoryEntry> readdir(String path) throws FsException {
        return ops.readdir(resolve(path));
    }

    @Override
    public String readlink(String path) throws FsException {
        return ops.readlink(resolve(path));
    }

    @Override
    public long open(String path, int flags) throws FsException {
        return ops.open(resolve(path), flags);
    }

    @Override
    public int read(long handle, long offset, int size, ReadTarget target) throws FsException {
        return ops.read(handle, offset, size, target);
    }

    @Override
    public void release(long handle) {
        ops.release(handle);
    }

    @Override
    public byte[] getxattr(String path, String name) throws FsException {
        return ops.getxattr(resolve(path), name);
    }

    @Override
    public List<String> listxattr(String path) throws FsException {
        return ops.listxattr(resolve(path));
    }

    @Override
    public FilesystemStatistics statfs() {
        return ops.statfs();
    }
}
