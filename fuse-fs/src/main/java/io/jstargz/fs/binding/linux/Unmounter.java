package io.jstargz.fs.binding.linux;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.SaveError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Unmounting FUSE filesystems: {@code umount2(2)} as root, {@code fusermount -u} otherwise; and aborting a FUSE
 * connection through fusectl so that no request to a dead or hung filesystem can block.
 */
public final class Unmounter {
    private static final Logger log = LoggerFactory.getLogger(Unmounter.class);
    private static final int MNT_DETACH = 2;
    private static final int EPERM = 1;
    private static final int ENOENT = 2;
    private static final int EBUSY = 16;
    private static final int EINVAL = 22;
    private static final long FUSERMOUNT_TIMEOUT_SECONDS = 30;
    private static final Path FUSE_CONNECTIONS = Path.of("/sys/fs/fuse/connections");

    /** The libc functions used; public only because jnr-ffi implements it. */
    public interface LibC {
        @SaveError
        int umount2(String target, int flags);

        int geteuid();

        @SaveError
        int mount(String source, String target, String fsType, long flags, String data);
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

    /**
     * Aborts the FUSE connection of the device {@code major:minor} (from {@link MountTable.Mount#device()}): every
     * pending and future request fails with ENOTCONN and the serving loop ends. Returns false when fusectl is not
     * mounted or the connection is already gone.
     */
    public static boolean abortConnection(String device) {
        String[] parts = device.split(":");
        if (parts.length != 2 || !parts[0].equals("0")) {
            return false;
        }
        Path abort = FUSE_CONNECTIONS.resolve(parts[1]).resolve("abort");
        if (!Files.exists(abort) && isRoot() && Files.isDirectory(FUSE_CONNECTIONS)) {
            mountFusectl();
        }
        try {
            Files.writeString(abort, "1", StandardCharsets.US_ASCII);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Sets the kernel readahead of the mount with device {@code major:minor}; false if that is not possible. */
    public static boolean setReadAheadKib(String device, int kib) {
        Path file = Path.of("/sys/class/bdi", device, "read_ahead_kb");
        try {
            Files.writeString(file, Integer.toString(kib), StandardCharsets.US_ASCII);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** fusectl is normally mounted at boot (by systemd); containers and minimal systems may lack it. */
    private static synchronized void mountFusectl() {
        try {
            if (MountTable.at(FUSE_CONNECTIONS).isEmpty()
                    && LIBC.mount("fusectl", FUSE_CONNECTIONS.toString(), "fusectl", 0, null) != 0) {
                log.debug("cannot mount fusectl at {}: errno {}", FUSE_CONNECTIONS, lastError());
            }
        } catch (IOException e) {
            log.debug("cannot read the mount table: {}", e.getMessage());
        }
    }

    private static Result fusermountUnmount(String target) throws IOException {
        Process p = new ProcessBuilder(List.of("fusermount", "-u", "-z", "-q", "--", target))
                .redirectErrorStream(true).start();
        try {
            p.getOutputStream().close();
            // its few lines of output fit in the pipe, so it can finish before we read them
            if (!p.waitFor(FUSERMOUNT_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("fusermount -u " + target + " did not finish in " + FUSERMOUNT_TIMEOUT_SECONDS
                        + " s");
            }
            if (p.exitValue() != 0) {
                String msg = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
                if (msg.contains("not mounted") || msg.contains("not found in")) {
                    return Result.NOT_MOUNTED;
                }
                throw new IOException("fusermount -u " + target + " failed (exit " + p.exitValue() + "): " + msg);
            }
            return Result.DETACHED;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IOException("interrupted while unmounting " + target, e);
        }
    }

    private static int lastError() {
        return LastError.getLastError(Runtime.getRuntime(LIBC));
    }
}
