package io.jstargz.cache;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.LinkOption;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Lists the disk tier's files to rebuild its index at start: every chunk file with its size and modification time
 * (its last use). Drops what a crash or another version left behind: temp files of writes that never finished, files
 * too short to hold a header, files with names this cache does not write. Files are not opened here (that would
 * multiply the time for 100k entries); their contents are checked when they are read.
 */
final class DiskScanner {

    /** A chunk file that looks valid. */
    record Found(CacheKey key, long size, long modifiedMillis) {
    }

    /**
     * What the scan found.
     *
     * @param found   chunk files, least recently used first
     * @param dropped files deleted as partial or foreign
     */
    record Result(List<Found> found, int dropped) {
    }

    /** Temp files younger than this may belong to a write in progress in another process. */
    static final long TEMP_GRACE_MILLIS = 60_000;

    private static final Logger log = LoggerFactory.getLogger(DiskScanner.class);

    private final DiskLayout layout;
    private final List<Found> found = new ArrayList<>();
    private int dropped;

    private DiskScanner(DiskLayout layout) {
        this.layout = layout;
    }

    static Result scan(DiskLayout layout) throws IOException {
        DiskScanner scanner = new DiskScanner(layout);
        scanner.dropStaleTemps(System.currentTimeMillis());
        try (DirectoryStream<Path> shards = Files.newDirectoryStream(layout.chunks())) {
            for (Path shard : shards) {
                if (Files.isDirectory(shard, LinkOption.NOFOLLOW_LINKS)) {
                    scanner.scanShard(shard);
                } else {
                    scanner.drop(shard, "it is not a shard directory");
                }
            }
        }
        scanner.found.sort(Comparator.comparingLong(Found::modifiedMillis));
        return new Result(scanner.found, scanner.dropped);
    }

    private void dropStaleTemps(long nowMillis) throws IOException {
        try (DirectoryStream<Path> temps = Files.newDirectoryStream(layout.tmp())) {
            for (Path temp : temps) {
                BasicFileAttributes attrs = attributes(temp);
                if (attrs != null && nowMillis - attrs.lastModifiedTime().toMillis() > TEMP_GRACE_MILLIS) {
                    drop(temp, "it is an unfinished write");
                }
            }
        }
    }

    private void scanShard(Path shard) throws IOException {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(shard)) {
            for (Path file : files) {
                BasicFileAttributes attrs = attributes(file);
                if (attrs == null) {
                    continue;
                }
                CacheKey key = CacheKey.fromFileName(file.getFileName().toString());
                if (key == null || !attrs.isRegularFile()) {
                    drop(file, "it is not a chunk file");
                } else if (attrs.size() < ChunkFile.HEADER_BYTES) {
                    drop(file, "it is " + attrs.size() + " bytes long, shorter than a header");
                } else if (inPlace(shard, file, key)) {
                    found.add(new Found(key, attrs.size(), attrs.lastModifiedTime().toMillis()));
                }
            }
        }
    }

    /** Whether the file is where lookups look for it, after moving it there if the shard width changed. */
    private boolean inPlace(Path shard, Path file, CacheKey key) {
        if (shard.getFileName().toString().equals(layout.shard(key))) {
            return true;
        }
        Path target = layout.path(key);
        try {
            Files.createDirectories(target.getParent());
            Files.move(file, target, StandardCopyOption.ATOMIC_MOVE);
            return true;
        } catch (FileAlreadyExistsException | NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            log.warn("cannot move cached chunk file {} to {}: {}", file, target, e.toString());
            return false;
        }
    }

    private void drop(Path file, String reason) {
        try {
            if (Files.deleteIfExists(file)) {
                dropped++;
                log.debug("deleted {} from the chunk cache: {}", file, reason);
            }
        } catch (IOException e) {
            log.warn("cannot delete {} from the chunk cache ({}): {}", file, reason, e.toString());
        }
    }

    private static BasicFileAttributes attributes(Path file) throws IOException {
        try {
            return Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException gone) {
            return null; // deleted by another process sharing the directory
        }
    }
}
