package io.jstargz.fs.binding;

/**
 * An operation's error answer. Cheap to throw (no stack trace): lookups of names that do not exist are frequent
 * (shells and interpreters probe many paths), so {@link #ENOENT} and {@link #ENODATA} are shared instances.
 */
public final class FsException extends Exception {
    private static final long serialVersionUID = 1L;

    /** The shared "no such file" answer. */
    public static final FsException ENOENT = new FsException(Errno.ENOENT, "no such file or directory");
    /** The shared "no such attribute" answer. */
    public static final FsException ENODATA = new FsException(Errno.ENODATA, "no such attribute");

    private final Errno errno;

    public FsException(Errno errno, String message) {
        super(message, null, false, false);
        this.errno = errno;
    }

    public FsException(Errno errno, String message, Throwable cause) {
        super(message, cause, false, false);
        this.errno = errno;
    }

    public Errno errno() {
        return errno;
    }
}
