package io.jstargz.estargz;

/**
 * How {@link EstargzReader#open} reads a blob, and the limits that keep hostile blobs from costing too much.
 *
 * @param layerName         name used in every error message (a digest, a file name)
 * @param tailSize          bytes read from the end of the blob in the first read; if the TOC fits, opening costs
 *                          one read
 * @param maxTocSize        largest compressed TOC accepted
 * @param maxTocJsonSize    largest uncompressed TOC JSON accepted
 * @param maxChunkSize      largest uncompressed chunk accepted (a chunk is decoded in memory)
 * @param expectedTocDigest if not null, the TOC digest must equal it ({@code sha256:<hex>})
 * @param externalToc       where the TOC comes from when the blob's footer says it is external; null if nowhere
 */
public record OpenOptions(String layerName, int tailSize, long maxTocSize, long maxTocJsonSize, long maxChunkSize,
                          String expectedTocDigest, ExternalTocSource externalToc) {

    public static final int DEFAULT_TAIL_SIZE = 512 * 1024;
    public static final long DEFAULT_MAX_TOC_SIZE = 64L << 20;
    public static final long DEFAULT_MAX_TOC_JSON_SIZE = 256L << 20;
    public static final long DEFAULT_MAX_CHUNK_SIZE = 64L << 20;

    public OpenOptions {
        if (layerName == null || layerName.isEmpty()) {
            throw new IllegalArgumentException("layerName must not be empty");
        }
        if (tailSize < Footer.MAX_SIZE) {
            throw new IllegalArgumentException("tailSize must be at least " + Footer.MAX_SIZE + ", got " + tailSize);
        }
        if (maxTocSize <= 0 || maxTocJsonSize <= 0 || maxChunkSize <= 0) {
            throw new IllegalArgumentException("limits must be positive");
        }
        if (maxTocJsonSize > Integer.MAX_VALUE - 16 || maxTocSize > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("TOC limits must stay below 2 GiB");
        }
    }

    /** Defaults: 512 KiB tail, TOC at most 64 MiB compressed and 256 MiB as JSON, chunks at most 64 MiB. */
    public static OpenOptions defaults(String layerName) {
        return new OpenOptions(layerName, DEFAULT_TAIL_SIZE, DEFAULT_MAX_TOC_SIZE, DEFAULT_MAX_TOC_JSON_SIZE,
                DEFAULT_MAX_CHUNK_SIZE, null, null);
    }

    public OpenOptions withTailSize(int value) {
        return new OpenOptions(layerName, value, maxTocSize, maxTocJsonSize, maxChunkSize, expectedTocDigest,
                externalToc);
    }

    public OpenOptions withExpectedTocDigest(String value) {
        return new OpenOptions(layerName, tailSize, maxTocSize, maxTocJsonSize, maxChunkSize, value, externalToc);
    }

    public OpenOptions withLimits(long tocSize, long tocJsonSize, long chunkSize) {
        return new OpenOptions(layerName, tailSize, tocSize, tocJsonSize, chunkSize, expectedTocDigest,
                externalToc);
    }

    public OpenOptions withExternalToc(ExternalTocSource value) {
        return new OpenOptions(layerName, tailSize, maxTocSize, maxTocJsonSize, maxChunkSize, expectedTocDigest,
                value);
    }
}
