package io.jstargz.estargz;

import java.nio.file.Path;
import java.util.List;

/**
 * How {@link LayerConverter} builds a blob.
 *
 * @param chunkSize        largest uncompressed chunk of a regular file in one gzip member (reference default 4 MiB)
 * @param compressionLevel gzip level, -1 (default, 6) or 0..9 (reference default 9)
 * @param prioritizedFiles paths to put first, in this order, followed by {@code .prefetch.landmark}; when empty the
 *                         blob starts with {@code .no.prefetch.landmark}
 * @param parallelism      threads compressing gzip members (1 = compress on the caller's thread)
 * @param tempDir          where to spool a non-seekable or compressed input; {@code null} for {@code java.io.tmpdir}
 */
public record ConvertOptions(int chunkSize, int compressionLevel, List<String> prioritizedFiles, int parallelism,
                             Path tempDir) {

    /** The reference's default chunk size. */
    public static final int DEFAULT_CHUNK_SIZE = 4 << 20;
    /** The reference's default compression level ({@code gzip.BestCompression}). */
    public static final int DEFAULT_COMPRESSION_LEVEL = 9;

    public ConvertOptions {
        if (chunkSize <= 0) {
            throw new IllegalArgumentException("chunk size must be positive, got " + chunkSize);
        }
        if (compressionLevel < -1 || compressionLevel > 9) {
            throw new IllegalArgumentException("compression level must be -1..9, got " + compressionLevel);
        }
        if (parallelism < 1) {
            throw new IllegalArgumentException("parallelism must be at least 1, got " + parallelism);
        }
        prioritizedFiles = List.copyOf(prioritizedFiles);
    }

    /** Reference defaults (4 MiB chunks, level 9, nothing prioritized), compressing on all cores. */
    public static ConvertOptions defaults() {
        return new ConvertOptions(DEFAULT_CHUNK_SIZE, DEFAULT_COMPRESSION_LEVEL, List.of(),
                Runtime.getRuntime().availableProcessors(), null);
    }

    public ConvertOptions withChunkSize(int value) {
        return new ConvertOptions(value, compressionLevel, prioritizedFiles, parallelism, tempDir);
    }

    public ConvertOptions withCompressionLevel(int value) {
        return new ConvertOptions(chunkSize, value, prioritizedFiles, parallelism, tempDir);
    }

    public ConvertOptions withPrioritizedFiles(List<String> value) {
        return new ConvertOptions(chunkSize, compressionLevel, value, parallelism, tempDir);
    }

    public ConvertOptions withParallelism(int value) {
        return new ConvertOptions(chunkSize, compressionLevel, prioritizedFiles, value, tempDir);
    }

    public ConvertOptions withTempDir(Path value) {
        return new ConvertOptions(chunkSize, compressionLevel, prioritizedFiles, parallelism, value);
    }
}
