package io.jstargz.snapshotter.snapshot;

import io.jstargz.snapshotter.model.Kind;
import io.jstargz.snapshotter.model.Mount;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The mounts containerd's overlayfs snapshotter (1.6) returns: a bind mount of the upper directory for a snapshot
 * without parents, a read-only bind of the parent for a view of one parent, and otherwise an overlay with
 * {@code index=off} (when the kernel has the parameter), {@code userxattr} (inside a user namespace), the work and
 * upper directories (active only) and {@code lowerdir} nearest parent first.
 */
final class OverlayMounts {
    private final SnapshotDirectories dirs;
    private final boolean indexOff;
    private final boolean userXattr;

    OverlayMounts(SnapshotDirectories dirs, boolean indexOff, boolean userXattr) {
        this.dirs = dirs;
        this.indexOff = indexOff;
        this.userXattr = userXattr;
    }

    /** Options chosen the way containerd decides them for the kernel and user namespace we run in. */
    static OverlayMounts detect(SnapshotDirectories dirs) throws IOException {
        boolean indexOff = Files.exists(Path.of("/sys/module/overlay/parameters/index"));
        return new OverlayMounts(dirs, indexOff, needsUserXattr(dirs.snapshotsDir()));
    }

    List<Mount> mounts(long id, Kind kind, List<Long> parents) {
        if (parents.isEmpty()) {
            return List.of(new Mount("bind", dirs.upper(id).toString(),
                    List.of(kind == Kind.VIEW ? "ro" : "rw", "rbind")));
        }
        if (kind != Kind.ACTIVE && parents.size() == 1) {
            return List.of(new Mount("bind", dirs.upper(parents.get(0)).toString(), List.of("ro", "rbind")));
        }
        List<String> options = new ArrayList<>();
        if (indexOff) {
            options.add("index=off");
        }
        if (userXattr) {
            options.add("userxattr");
        }
        if (kind == Kind.ACTIVE) {
            options.add("workdir=" + dirs.work(id));
            options.add("upperdir=" + dirs.upper(id));
        }
        options.add("lowerdir=" + parents.stream().map(p -> dirs.upper(p).toString())
                .collect(Collectors.joining(":")));
        return List.of(new Mount("overlay", "overlay", options));
    }

    /**
     * Real root never needs {@code userxattr}; inside a user namespace overlay needs it (kernel 5.11+), except on
     * tmpfs which does not allow user xattrs.
     */
    private static boolean needsUserXattr(Path dir) throws IOException {
        List<String> uidMap = Files.readAllLines(Path.of("/proc/self/uid_map"));
        boolean initialNamespace = uidMap.size() == 1 && uidMap.get(0).trim().matches("0\\s+0\\s+4294967295");
        if (initialNamespace || "tmpfs".equals(Files.getFileStore(dir).type())) {
            return false;
        }
        String[] version = System.getProperty("os.version").split("[.-]");
        int major = Integer.parseInt(version[0]);
        int minor = version.length > 1 ? Integer.parseInt(version[1]) : 0;
        return major > 5 || (major == 5 && minor >= 11);
    }
}
