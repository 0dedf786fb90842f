package io.jstargz.cache;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Where the disk tier keeps its files: {@code <root>/chunks/<shard>/<name>} for entries (the shard is the first
 * {@code shardWidth} hex digits of the key) and {@code <root>/tmp/} for writes in progress, renamed into place when
 * complete. Temp names carry the process id and a sequence number, so two processes sharing the directory never
 * write the same temp file.
 */
final class DiskLayout {

    private static final AtomicLong TEMP_SEQUENCE = new AtomicLong();

    private final Path chunks;
    private final Path tmp;
    private final int shardWidth;
    private final String tempSuffix = "." + ProcessHandle.current().pid() + ".";

    DiskLayout(Path root, int shardWidth) {
        this.chunks = root.resolve("chunks");
        this.tmp = root.resolve("tmp");
        this.shardWidth = shardWidth;
    }

    /** Creates the directories if missing. */
    void create() throws IOException {
        Files.createDirectories(chunks);
        Files.createDirectories(tmp);
    }

    Path chunks() {
        return chunks;
    }

    Path tmp() {
        return tmp;
    }

    /** The file of {@code key}. */
    Path path(CacheKey key) {
        return chunks.resolve(shard(key)).resolve(key.fileName());
    }

    /** The name of the shard directory of {@code key}. */
    String shard(CacheKey key) {
        return key.shardHex().substring(0, shardWidth);
    }

    /** A fresh temp file name for writing {@code key}. */
    Path tempPath(CacheKey key) {
        return tmp.resolve(key.fileName() + tempSuffix + TEMP_SEQUENCE.incrementAndGet() + ".tmp");
    }
}
