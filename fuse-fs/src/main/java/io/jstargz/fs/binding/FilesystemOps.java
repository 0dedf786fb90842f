package io.jstargz.fs.binding;

import java.util.List;

/**
 * A read-only filesystem as a tree of path-addressed operations, independent of any FUSE binding. Paths are absolute
 * within the mount ({@code "/"}, {@code "/etc/passwd"}). Implementations must be thread-safe: bindings call them from
 * many threads at once. Errors are {@link FsException}s carrying the errno to answer with.
 */
public interface FilesystemOps {

    /** Attributes of the node at {@code path}. */
    NodeAttributes getattr(String path) throws FsException;

    /** The names in the directory at {@code path}, without {@code .} and {@code ..}. */
    List<DirectoryEntry> readdir(String path) throws FsException;

    /** The target of the symlink at {@code path}. */
    String readlink(String path) throws FsException;

    /**
     * Opens the regular file at {@code path} for reading.
     *
     * @param flags the {@code open(2)} flags
     * @return a handle passed to {@link #read} and {@link #release}
     */
    long open(String path, int flags) throws FsException;

    /**
     * Reads up to {@code size} bytes at {@code offset} of an open file into {@code target}.
     *
     * @return bytes read; fewer than {@code size} only at the end of the file
     */
    int read(long handle, long offset, int size, ReadTarget target) throws FsException;

    /** Closes a handle from {@link #open}. */
    void release(long handle);

    /** The value of extended attribute {@code name} of the node at {@code path}. */
    byte[] getxattr(String path, String name) throws FsException;

    /** The names of the extended attributes of the node at {@code path}. */
    List<String> listxattr(String path) throws FsException;

    /** Filesystem statistics. */
    FilesystemStatistics statfs();
}
