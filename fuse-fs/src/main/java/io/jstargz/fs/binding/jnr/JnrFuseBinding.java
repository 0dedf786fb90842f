package io.jstargz.fs.binding.jnr;

import io.jstargz.fs.binding.FilesystemOps;
import io.jstargz.fs.binding.FuseBinding;
import io.jstargz.fs.binding.MountHandle;
import io.jstargz.fs.binding.MountOptions;
import io.jstargz.fs.binding.linux.MountTable;
import io.jstargz.fs.binding.linux.MountWatchdog;
import io.jstargz.fs.binding.linux.Unmounter;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The jnr-fuse (libfuse 2) binding. Each mount runs libfuse's multithreaded loop on its own thread. Mounts are always
 * read-only, with {@code use_ino} (inode numbers come from the filesystem, so hardlinks share one) and {@code suid}
 * (setuid binaries in images keep working in containers).
 *
 * <p>Clean-up: live mounts are unmounted by one JVM shutdown hook on a normal exit or SIGTERM/SIGINT, by the
 * {@link MountWatchdog} when the JVM is killed, and a stale mount of this binding's type found at a mount point is
 * detached before mounting there again.
 */
public final class JnrFuseBinding implements FuseBinding {
    private static final Logger log = LoggerFactory.getLogger(JnrFuseBinding.class);
    private static final Duration SHUTDOWN_UNMOUNT_TIMEOUT = Duration.ofSeconds(5);
    private static final Set<JnrMountHandle> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(JnrFuseBinding::unmountAll, "jstargz-fuse-unmount"));
    }

    @Override
    public MountHandle mount(Path mountPoint, FilesystemOps ops, MountOptions options) throws IOException {
        if (!Charset.defaultCharset().equals(StandardCharsets.UTF_8)) {
            // jnr-fuse decodes the paths the kernel sends with the default charset
            throw new IOException("FUSE paths need UTF-8 as the JVM's default charset, it is "
                    + Charset.defaultCharset() + ": run java with -Dfile.encoding=UTF-8");
        }
        Path dir = realPath(mountPoint);
        String fsType = "fuse." + options.subtype();
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
        JnrFilesystemAdapter adapter = new JnrFilesystemAdapter(ops, options.fsName());
        JnrMountHandle handle = new JnrMountHandle(dir, options, fsType, adapter, LIVE::remove);
        LIVE.add(handle);
        handle.start(arguments(dir, options));
        return handle;
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
        Unmounter.abortConnection(m.device());
        Unmounter.detach(dir);
    }

    static String[] arguments(Path dir, MountOptions o) {
        List<String> opts = new ArrayList<>(List.of("ro", "suid", "noatime", "use_ino",
                "fsname=" + o.fsName(), "subtype=" + o.subtype(),
                "entry_timeout=" + seconds(o.entryTimeout()), "attr_timeout=" + seconds(o.attrTimeout()),
                "negative_timeout=" + seconds(o.negativeTimeout()), "max_read=" + o.maxRead()));
        if (o.allowOther()) {
            opts.add("allow_other");
        }
        if (o.defaultPermissions()) {
            opts.add("default_permissions");
        }
        if (o.kernelCache()) {
            opts.add("kernel_cache");
        }
        List<String> args = new ArrayList<>(List.of("jstargz", "-f"));
        if (!o.multithreaded()) {
            args.add("-s");
        }
        args.add("-o");
        args.add(String.join(",", opts));
        args.add(dir.toString());
        return args.toArray(String[]::new);
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? Long.toString(d.toSeconds()) : Double.toString(d.toMillis() / 1000.0);
    }

    private static void unmountAll() {
        for (JnrMountHandle h : List.copyOf(LIVE)) {
            try {
                h.unmount(SHUTDOWN_UNMOUNT_TIMEOUT);
            } catch (IOException | RuntimeException e) {
                log.warn("cannot unmount {} at exit: {}", h, e.getMessage());
            }
        }
    }
}
