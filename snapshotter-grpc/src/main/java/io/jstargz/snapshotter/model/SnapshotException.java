package io.jstargz.snapshotter.model;

/**
 * A snapshot operation failed in a way containerd distinguishes. The {@link Code} becomes the gRPC status code, and
 * the message ends like containerd's errdefs errors ({@code ": not found"}), so containerd's error messages read the
 * same as with its own snapshotters.
 */
public final class SnapshotException extends Exception {
    /** The error classes of containerd's errdefs that a snapshotter returns. */
    public enum Code {
        INVALID_ARGUMENT("invalid argument"),
        NOT_FOUND("not found"),
        ALREADY_EXISTS("already exists"),
        FAILED_PRECONDITION("failed precondition"),
        UNAVAILABLE("unavailable");

        private final String suffix;

        Code(String suffix) {
            this.suffix = suffix;
        }
    }

    private final Code code;

    public SnapshotException(Code code, String message) {
        super(message + ": " + code.suffix);
        this.code = code;
    }

    public Code code() {
        return code;
    }

    public static SnapshotException notFound(String message) {
        return new SnapshotException(Code.NOT_FOUND, message);
    }

    public static SnapshotException alreadyExists(String message) {
        return new SnapshotException(Code.ALREADY_EXISTS, message);
    }

    public static SnapshotException invalidArgument(String message) {
        return new SnapshotException(Code.INVALID_ARGUMENT, message);
    }

    public static SnapshotException failedPrecondition(String message) {
        return new SnapshotException(Code.FAILED_PRECONDITION, message);
    }

    public static SnapshotException unavailable(String message) {
        return new SnapshotException(Code.UNAVAILABLE, message);
    }
}
