package io.jstargz.estargz;

import java.nio.file.Path;
import java.util.List;

/**
 * How {@link LayerConverter} builds a blob.
 *
 * @param format           the blob's format: {@link BlobFormat#ESTARGZ} (the reference's default) or
 *                         {@link BlobFormat#ZSTD_CHUNKED}
 * @param chunkSize        largest uncompressed chunk of a regular file in one compressed member (reference default
 *                         4 MiB)
 * @param compressionLevel the format's compression level: gzip -1 (zlib's default, 6) or 0..9 (reference default
 *                         9); zstd 1..22 (reference default 3)
 * @param prioritizedFiles paths to put first, in this order, followed by {@code .prefetch.landmark}; when empty the
 *                         blob starts with {@code .no.prefetch.landmark}
 * @param parallelism      threads compressing members (1 = compress on the caller's thread)
 * @param tempDir          where to spool a non-seekable or compressed input; {@code null} for {@code java.io.tmpdir}
 * @param minChunkSize     0, or the compressed bytes a member must hold before the next chunk starts a new one:
 *                         small files are packed into shared members, each at an {@code innerOffset} (the
 *                         reference's {@code --estargz-min-chunk-size}); readers older than stargz-snapshotter 0.13
 *                         cannot read such blobs
 */
public record ConvertOptions(BlobFormat format, int chunkSize, int compressionLevel, List<String> prioritizedFiles,
                             int parallelism, Path tempDir, int minChunkSize) {

    /** The reference's default chunk size. */
    public static final int DEFAULT_CHUNK_SIZE = 4 << 20;
    /** The reference's default gzip compression level ({@code gzip.BestCompression}). */
    public static final int DEFAULT_COMPRESSION_LEVEL = 9;

    public ConvertOptions {
        if (chunkSize <= 0) {
            throw new IllegalArgumentException("chunk size must be positive, got " + chunkSize);
        }
        format.codec(compressionLevel, false); // checks the level against the format's range
        if (parallelism < 1) {
            throw new IllegalArgumentException("parallelism must be at least 1, got " + parallelism);
        }
        if (minChunkSize < 0) {
            throw new IllegalArgumentException("min chunk size must not be negative, got " + minChunkSize);
        }
        prioritizedFiles = List.copyOf(prioritizedFiles);
    }

    /** Reference defaults (eStargz, 4 MiB chunks, level 9, nothing prioritized), compressing on all cores. */
    public static ConvertOptions defaults() {
        return new ConvertOptions(BlobFormat.ESTARGZ, DEFAULT_CHUNK_SIZE, DEFAULT_COMPRESSION_LEVEL, List.of(),
                Runtime.getRuntime().availableProcessors(), null, 0);
    }

    /** Another format, at that format's default compression level (set a level after this, not before). */
    public ConvertOptions withFormat(BlobFormat value) {
        return new ConvertOptions(value, chunkSize, value.defaultCompressionLevel(), prioritizedFiles, parallelism,
                tempDir, minChunkSize);
    }

    public ConvertOptions withChunkSize(int value) {
        return new ConvertOptions(format, value, compressionLevel, prioritizedFiles, parallelism, tempDir,
                minChunkSize);
    }

    public ConvertOptions withCompressionLevel(int value) {
        return new ConvertOptions(format, chunkSize, value, prioritizedFiles, parallelism, tempDir, minChunkSize);
    }

    public ConvertOptions withPrioritizedFiles(List<String> value) {
        return new ConvertOptions(format, chunkSize, compressionLevel, value, parallelism, tempDir, minChunkSize);
    }

    public ConvertOptions withParallelism(int value) {
        return new ConvertOptions(format, chunkSize, compressionLevel, prioritizedFiles, value, tempDir,
                minChunkSize);
    }

    public ConvertOptions withTempDir(Path value) {
        return new ConvertOptions(format, chunkSize, compressionLevel, prioritizedFiles, parallelism, value,
                minChunkSize);
    }

    public ConvertOptions withMinChunkSize(int value) {
        return new ConvertOptions(format, chunkSize, compressionLevel, prioritizedFiles, parallelism, tempDir,
                value);
    }
}
