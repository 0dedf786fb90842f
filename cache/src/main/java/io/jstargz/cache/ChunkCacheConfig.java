package io.jstargz.cache;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Configuration of a {@link ChunkCache}.
 *
 * @param directory       root of the disk tier; created if missing, may be shared by two processes
 * @param memoryBytes     bound of the memory tier in bytes of chunk data (0 disables it)
 * @param diskBytes       bound of the disk tier in bytes of files this process knows about (headers included); 0
 *                        keeps chunks in memory only (a scratch cache whose files would be thrown away)
 * @param shardWidth      hex digits of the key used as the shard directory name (1 to 4: 16 to 65536 directories)
 * @param writeQueueBytes bound of chunk bytes waiting for the background disk writer; beyond it the caller writes
 * @param minFree         free space the disk tier leaves on its filesystem
 */
public record ChunkCacheConfig(Path directory, long memoryBytes, long diskBytes, int shardWidth,
                               long writeQueueBytes, FreeSpaceWatermark minFree) {

    /** 256 MiB of chunks in memory. */
    public static final long DEFAULT_MEMORY_BYTES = 256L << 20;
    /** 10 GiB on disk. */
    public static final long DEFAULT_DISK_BYTES = 10L << 30;
    /** 256 shard directories. */
    public static final int DEFAULT_SHARD_WIDTH = 2;
    /** 64 MiB of chunks queued for the disk writer. */
    public static final long DEFAULT_WRITE_QUEUE_BYTES = 64L << 20;

    /** Validates the values; the messages name the offending setting. */
    public ChunkCacheConfig {
        Objects.requireNonNull(directory, "cache directory");
        Objects.requireNonNull(minFree, "cache minFree");
        if (memoryBytes < 0) {
            throw new IllegalArgumentException("cache memoryBytes must be >= 0, got " + memoryBytes);
        }
        if (diskBytes < 0) {
            throw new IllegalArgumentException("cache diskBytes must be >= 0, got " + diskBytes);
        }
        if (shardWidth < 1 || shardWidth > 4) {
            throw new IllegalArgumentException("cache shardWidth must be 1..4, got " + shardWidth);
        }
        if (writeQueueBytes < 0) {
            throw new IllegalArgumentException("cache writeQueueBytes must be >= 0, got " + writeQueueBytes);
        }
    }

    /** A configuration without a free space watermark. */
    public ChunkCacheConfig(Path directory, long memoryBytes, long diskBytes, int shardWidth, long writeQueueBytes) {
        this(directory, memoryBytes, diskBytes, shardWidth, writeQueueBytes, FreeSpaceWatermark.NONE);
    }

    /** A configuration with the default write queue bound and no free space watermark. */
    public ChunkCacheConfig(Path directory, long memoryBytes, long diskBytes, int shardWidth) {
        this(directory, memoryBytes, diskBytes, shardWidth, DEFAULT_WRITE_QUEUE_BYTES);
    }

    /** Defaults for everything but the directory. */
    public static ChunkCacheConfig defaults(Path directory) {
        return new ChunkCacheConfig(directory, DEFAULT_MEMORY_BYTES, DEFAULT_DISK_BYTES, DEFAULT_SHARD_WIDTH);
    }
}
