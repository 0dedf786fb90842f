package io.jstargz.fs.binding.linux;

import io.jstargz.fs.binding.MountOptions;
import io.jstargz.mount.MountTable;
import io.jstargz.mount.Unmounter;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This process's FUSE mounts, whatever binding serves them. Mount points are checked and prepared the same way for
 * every binding, and live mounts are unmounted by one JVM shutdown hook on a normal exit or SIGTERM/SIGINT; the
 * {@link MountWatchdog} unmounts them when the JVM is killed, and a stale mount of our type found at a mount point
 * is detached before mounting there again. A process that ends its mounts its own way (a daemon that unmounts its
 * layers in order, or is handing them over to another process) has the hook do that first ({@link #atExitFirst}):
 * shutdown hooks run at once, so a hook of its own would race this one, which would unmount a mount being handed
 * over.
 */
public final class FuseMounts {
    private static final Logger log = LoggerFactory.getLogger(FuseMounts.class);
    private static final Duration SHUTDOWN_UNMOUNT_TIMEOUT = Duration.ofSeconds(5);
    private static final Set<FuseMountHandle> LIVE = ConcurrentHashMap.newKeySet();
    private static final List<Runnable> AT_EXIT_FIRST = new CopyOnWriteArrayList<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(FuseMounts::unmountAll, "jstargz-fuse-unmount"));
    }

    private FuseMounts() {
    }

    /** The filesystem type the mount table shows for a mount with these options. */
    public static String fsType(MountOptions options) {
        return "fuse." + options.subtype();
    }

    /**
     * Checks that {@code mountPoint} can take a mount (an empty directory; a stale mount of our type left by a
     * process that died is detached) and has the watchdog watch it, before anything is mounted there.
     *
     * @return the mount point as the mount table will show it
     */
    public static Path prepare(Path mountPoint, MountOptions options) throws IOException {
        Path dir = realPath(mountPoint);
        String fsType = fsType(options);
        clearStaleMount(dir, fsType);
        if (!Files.isDirectory(dir)) {
            throw new NotDirectoryException("mount point " + dir + " is not a directory");
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            if (entries.iterator().hasNext()) {
                throw new IOException("mount point " + dir + " is not empty");
            }
        }
        MountWatchdog.instance().watch(dir, fsType);
        return dir;
    }

    /**
     * Aborts the kernel connection of every FUSE mount at or below {@code dir} that this process does not serve: what
     * a dead daemon left there. A process waiting on such a mount, even one that is being killed, then gets ENOTCONN
     * at once instead of waiting for an answer nobody will give. The mounts stay in the mount table (dead) for their
     * owner to detach. The mounts at {@code kept} are left alone: their connections are to be adopted.
     *
     * @return the mount points whose connections were aborted
     */
    public static List<Path> abortConnectionsUnder(Path dir, Set<Path> kept) throws IOException {
        Path base = dir.toAbsolutePath().normalize();
        List<Path> aborted = new ArrayList<>();
        for (MountTable.Mount m : MountTable.all()) {
            boolean ours = kept.contains(m.mountPoint())
                    || LIVE.stream().anyMatch(h -> h.mountPoint().equals(m.mountPoint()));
            if (m.mountPoint().startsWith(base) && m.fsType().startsWith("fuse") && !ours
                    && FuseConnections.abort(m.device())) {
                aborted.add(m.mountPoint());
            }
        }
        return aborted;
    }

    /**
     * Checks that a FUSE mount with these options is at {@code mountPoint}, for a process that adopts its connection,
     * and has the watchdog watch it from now on.
     *
     * @return the mount point as the mount table shows it
     */
    public static Path adoptable(Path mountPoint, MountOptions options) throws IOException {
        Path dir = realPath(mountPoint);
        String fsType = fsType(options);
        MountTable.Mount m = MountTable.at(dir).orElseThrow(() -> new IOException("cannot adopt the FUSE mount at "
                + dir + ": nothing is mounted there"));
        if (!m.fsType().equals(fsType)) {
            throw new IOException("cannot adopt the FUSE mount at " + dir + ": " + m.fsType()
                    + " is mounted there, not " + fsType);
        }
        MountWatchdog.instance().watch(dir, fsType);
        return dir;
    }

    static void register(FuseMountHandle handle) {
        LIVE.add(handle);
    }

    static void ended(FuseMountHandle handle) {
        LIVE.remove(handle);
    }

    /** The absolute path without symlinks, as the mount table shows it; the last name is kept (it may be stale). */
    private static Path realPath(Path mountPoint) throws IOException {
        Path abs = mountPoint.toAbsolutePath().normalize();
        Path parent = abs.getParent();
        return parent == null ? abs : parent.toRealPath().resolve(abs.getFileName());
    }

    /** A mount of our type at the mount point is left over from a process that died: detach it. */
    private static void clearStaleMount(Path dir, String fsType) throws IOException {
        Optional<MountTable.Mount> existing = MountTable.at(dir);
        if (existing.isEmpty()) {
            return;
        }
        MountTable.Mount m = existing.get();
        boolean ours = LIVE.stream().anyMatch(h -> h.mountPoint().equals(dir) && !h.unmounted().isDone());
        if (ours || !m.fsType().equals(fsType)) {
            throw new IOException("mount point " + dir + " is in use: " + m.fsType() + " " + m.source()
                    + " is mounted there");
        }
        log.warn("detaching stale {} mount of {} at {} left by an earlier process", m.fsType(), m.source(), dir);
        FuseConnections.abort(m.device());
        Unmounter.detach(dir);
    }

    /**
     * Runs {@code first} at exit (a normal one, or SIGTERM/SIGINT), before the mounts still live are unmounted; it
     * returns when it has done with them, and those it left live are unmounted then.
     */
    public static void atExitFirst(Runnable first) {
        AT_EXIT_FIRST.add(first);
    }

    private static void unmountAll() {
        for (Runnable first : AT_EXIT_FIRST) {
            try {
                first.run();
            } catch (RuntimeException e) {
                log.warn("at exit, before unmounting: {}", e.getMessage(), e);
            }
        }
        for (FuseMountHandle h : List.copyOf(LIVE)) {
            try {
                h.unmount(SHUTDOWN_UNMOUNT_TIMEOUT);
            } catch (IOException | RuntimeException e) {
                log.warn("cannot unmount {} at exit: {}", h, e.getMessage());
            }
        }
    }
}
