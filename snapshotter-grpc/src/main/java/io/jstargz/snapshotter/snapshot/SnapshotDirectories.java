package io.jstargz.snapshotter.snapshot;

import io.jstargz.mount.FileTrees;
import io.jstargz.snapshotter.model.Kind;
import io.jstargz.snapshotter.model.Usage;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import jnr.posix.FileStat;
import jnr.posix.POSIX;
import jnr.posix.POSIXFactory;

/**
 * The on-disk layout under {@code <root>/snapshots}: {@code <id>/fs} (the overlay upper directory, or a remote
 * layer's mount point) and {@code <id>/work} (overlay's work directory, active snapshots only).
 */
final class SnapshotDirectories {
    private static final POSIX POSIX_NATIVE = POSIXFactory.getNativePOSIX();

    private final Path snapshots;

    SnapshotDirectories(Path root) throws IOException {
        this.snapshots = root.resolve("snapshots");
        Files.createDirectories(snapshots);
        Files.setPosixFilePermissions(snapshots, PosixFilePermissions.fromString("rwx------"));
    }

    Path snapshotsDir() {
        return snapshots;
    }

    Path dir(long id) {
        return snapshots.resolve(Long.toString(id));
    }

    Path upper(long id) {
        return dir(id).resolve("fs");
    }

    Path work(long id) {
        return dir(id).resolve("work");
    }

    /**
     * Creates the directories of new snapshot {@code id}, built under a temporary name and renamed into place so
     * a crash never leaves a half-made {@code <id>}; its upper directory gets the owner of snapshot
     * {@code ownerFrom}'s root (0: none). Called inside the transaction that inserts the snapshot:
     * if that transaction does not commit, the directory is an orphan that {@link #orphans} finds.
     */
    void create(long id, Kind kind, long ownerFrom) throws IOException {
        Path tmp = Files.createTempDirectory(snapshots, "new-");
        try {
            Path fs = Files.createDirectory(tmp.resolve("fs"));
            Files.setPosixFilePermissions(fs, PosixFilePermissions.fromString("rwxr-xr-x"));
            if (kind == Kind.ACTIVE) {
                Path work = Files.createDirectory(tmp.resolve("work"));
                Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwx--x--x"));
            }
            if (ownerFrom != 0) {
                copyOwner(ownerFrom, fs);
            }
            Path target = dir(id);
            // ids of uncommitted transactions are handed out again, so a directory found here is an orphan
            FileTrees.removeTree(target);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            try {
                FileTrees.removeTree(tmp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /**
     * Gives the upper directory of snapshot {@code id} the owner of snapshot {@code parentId}'s root, as containerd's
     * overlay snapshotter does for a new snapshot on a parent.
     */
    void copyOwner(long parentId, long id) throws IOException {
        copyOwner(parentId, upper(id));
    }

    private void copyOwner(long parentId, Path fs) throws IOException {
        Path parentFs = upper(parentId);
        Files.setAttribute(fs, "unix:uid", Files.getAttribute(parentFs, "unix:uid"), LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(fs, "unix:gid", Files.getAttribute(parentFs, "unix:gid"), LinkOption.NOFOLLOW_LINKS);
    }

    /** Removes the directories of snapshot {@code id}, detaching anything still mounted below them. */
    void remove(long id) throws IOException {
        FileTrees.removeTree(dir(id));
    }

    /** Entries of the snapshots directory that belong to no snapshot in {@code ids}. */
    List<Path> orphans(Set<Long> ids) throws IOException {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(snapshots)) {
            for (Path p : entries) {
                if (!ids.contains(parseId(p.getFileName().toString()))) {
                    out.add(p);
                }
            }
        }
        return out;
    }

    private static long parseId(String name) {
        try {
            return Long.parseLong(name);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * Disk usage of the upper directory as containerd computes it: bytes in allocated 512-byte blocks and distinct
     * inodes (hard links once), the directory itself included.
     */
    Usage usage(long id) throws IOException {
        Set<String> seen = new HashSet<>();
        long[] total = new long[2];
        Files.walkFileTree(upper(id), new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                count(d);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                count(file);
                return FileVisitResult.CONTINUE;
            }

            private void count(Path p) throws IOException {
                FileStat st = POSIX_NATIVE.allocateStat();
                if (POSIX_NATIVE.lstat(p.toString(), st) != 0) {
                    throw new IOException("lstat " + p + " failed: errno " + POSIX_NATIVE.errno());
                }
                if (seen.add(st.dev() + ":" + st.ino())) {
                    total[0] += st.blocks() * 512;
                    total[1]++;
                }
            }
        });
        return new Usage(total[0], total[1]);
    }
}
