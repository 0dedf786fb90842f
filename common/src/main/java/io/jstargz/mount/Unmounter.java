package io.jstargz.mount;

import io.jstargz.process.Command;
import io.jstargz.process.CommandResult;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.SaveError;

/**
 * Unmounting: {@code umount2(2)} as root, lazily when the mount is busy; without root, {@code fusermount -u} (the only
 * mounts such a process can have made are FUSE mounts).
 */
public final class Unmounter {
    private static final int MNT_DETACH = 2;
    private static final int EPERM = 1;
    private static final int ENOENT = 2;
    private static final int EBUSY = 16;
    private static final int EINVAL = 22;
    private static final Duration FUSERMOUNT_TIMEOUT = Duration.ofSeconds(30);

    /** The libc functions used; public only because jnr-ffi implements it. */
    public interface LibC {
        @SaveError
        int umount2(String target, int flags);

        int geteuid();
    }

    private static final LibC LIBC = LibraryLoader.create(LibC.class).load("c");

    /** How an unmount went. */
    public enum Result {
        /** Unmounted now. */
        UNMOUNTED,
        /** It was busy: detached from the namespace, released when its last user goes. */
        DETACHED,
        /** Nothing was mounted there. */
        NOT_MOUNTED
    }

    private Unmounter() {
    }

    /** True when running as root (then mounts and unmounts need no helper). */
    public static boolean isRoot() {
        return LIBC.geteuid() == 0;
    }

    /** Unmounts {@code mountPoint}, lazily when it is busy. */
    public static Result unmount(Path mountPoint) throws IOException {
        String target = mountPoint.toString();
        if (!isRoot()) {
            return fusermountUnmount(target);
        }
        if (LIBC.umount2(target, 0) == 0) {
            return Result.UNMOUNTED;
        }
        int errno = lastError();
        if (errno == EBUSY) {
            return detach(mountPoint);
        }
        if (errno == EINVAL || errno == ENOENT) {
            return Result.NOT_MOUNTED;
        }
        throw new IOException("umount2 " + target + " failed: errno " + errno);
    }

    /** Detaches {@code mountPoint} lazily ({@code umount -l}). */
    public static Result detach(Path mountPoint) throws IOException {
        String target = mountPoint.toString();
        if (!isRoot()) {
            return fusermountUnmount(target);
        }
        if (LIBC.umount2(target, MNT_DETACH) == 0) {
            return Result.DETACHED;
        }
        int errno = lastError();
        if (errno == EINVAL || errno == ENOENT) {
            return Result.NOT_MOUNTED;
        }
        throw new IOException("umount2 " + target + " (lazy) failed: errno " + errno
                + (errno == EPERM ? " (not permitted)" : ""));
    }

    private static Result fusermountUnmount(String target) throws IOException {
        CommandResult r = Command.of("fusermount", "-u", "-z", "-q", "--", target).run(FUSERMOUNT_TIMEOUT);
        if (r.ok()) {
            return Result.DETACHED;
        }
        String msg = r.output().trim();
        if (msg.contains("not mounted") || msg.contains("not found in")) {
            return Result.NOT_MOUNTED;
        }
        throw new IOException("fusermount -u " + target + " failed (exit " + r.exitCode() + "): " + msg);
    }

    private static int lastError() {
        return LastError.getLastError(Runtime.getRuntime(LIBC));
    }
}
