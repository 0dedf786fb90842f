package io.jstargz.fs.binding;

import java.nio.file.Path;
import java.util.List;

/**
 * A read-only filesystem as operations on inode numbers, the way the kernel's FUSE protocol addresses nodes: a name
 * is looked up in a directory, and everything after that names the node by its number. Both bindings serve this
 * interface ({@link PathAddressedOps} resolves paths for those that hand over paths).
 *
 * <p>Inode numbers are stable for the life of the mount and the root is {@link #ROOT}, so a binding can hand them to
 * the kernel as node ids and needs no table of what it handed out (forgetting a node frees nothing). Implementations
 * must be thread-safe: bindings call them from many threads at once. Errors are {@link FsException}s carrying the
 * errno to answer with.
 */
public interface InodeOps {

    /** The root directory's inode number (FUSE's root node id). */
    long ROOT = 1;

    /** The attributes of {@code name} in the directory {@code parent}; {@link FsException#ENOENT} if absent. */
    NodeAttributes lookup(long parent, String name) throws FsException;

    /** The attributes of a node. */
    NodeAttributes getattr(long inode) throws FsException;

    /** The names in a directory, without {@code .} and {@code ..}. */
    List<DirectoryEntry> readdir(long inode) throws FsException;

    /** The target of a symlink. */
    String readlink(long inode) throws FsException;

    /**
     * Opens a regular file for reading.
     *
     * @param flags the {@code open(2)} flags
     * @return a handle passed to {@link #read} and {@link #release}
     */
    long open(long inode, int flags) throws FsException;

    /**
     * Reads up to {@code size} bytes at {@code offset} of an open file into {@code target}.
     *
     * @return bytes read; fewer than {@code size} only at the end of the file
     */
    int read(long handle, long offset, int size, ReadTarget target) throws FsException;

    /** Closes a handle from {@link #open}. */
    void release(long handle);

    /**
     * A local file holding exactly the content of the regular file {@code inode}, verified, which the kernel may read
     * directly instead of asking for each read (FUSE passthrough); null while there is none. Must not block: a
     * binding asks on every open.
     */
    Path backingFile(long inode);

    /** The value of extended attribute {@code name} of a node. */
    byte[] getxattr(long inode, String name) throws FsException;

    /** The names of the extended attributes of a node. */
    List<String> listxattr(long inode) throws FsException;

    /** Filesystem statistics. */
    FilesystemStatistics statfs();
}
