package io.jstargz.fs.binding;

/** The errors a {@link FilesystemOps} can answer with; a binding maps each to the platform's errno value. */
public enum Errno {
    /** No such file or directory. */
    ENOENT,
    /** A path component is not a directory. */
    ENOTDIR,
    /** The operation needs a directory or a non-directory and got the other. */
    EISDIR,
    /** Input/output error: bytes could not be fetched or failed verification. */
    EIO,
    /** No such extended attribute. */
    ENODATA,
    /** The caller's buffer is too small. */
    ERANGE,
    /** The filesystem is read-only. */
    EROFS,
    /** Invalid argument (e.g. readlink of something that is not a symlink). */
    EINVAL,
    /** Bad file handle. */
    EBADF,
    /** Not implemented: the kernel remembers it for the operation and asks no more on that connection. */
    ENOSYS
}
