package io.jstargz.mount;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Removal of directory trees (snapshots, scratch directories) that never reaches across a mount. */
public final class FileTrees {
    private FileTrees() {
    }

    /** Detaches every mount at or below {@code dir}, deepest first; returns the mount points it detached. */
    public static List<Path> detachAllUnder(Path dir) throws IOException {
        return detachAllUnder(dir, Set.of());
    }

    /** As {@link #detachAllUnder(Path)}, leaving the mounts at {@code kept} (and what is mounted below them). */
    public static List<Path> detachAllUnder(Path dir, Set<Path> kept) throws IOException {
        List<Path> mounts = new ArrayList<>();
        for (Path mp : MountTable.mountPointsUnder(dir)) {
            if (kept.stream().noneMatch(mp::startsWith)) {
                Unmounter.detach(mp);
                mounts.add(mp);
            }
        }
        return mounts;
    }

    /**
     * Removes {@code dir} and everything in it. Mounts below it are detached first so the removal never reaches
     * into another filesystem (a FUSE layer, a bind mount); if one cannot be detached, nothing is removed.
     */
    public static void removeTree(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        detachAllUnder(dir);
        List<Path> still = MountTable.mountPointsUnder(dir);
        if (!still.isEmpty()) {
            throw new IOException("not removing " + dir + ": still mounted at " + still);
        }
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                }
                throw e;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null && !(e instanceof NoSuchFileException)) {
                    throw e;
                }
                Files.deleteIfExists(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
