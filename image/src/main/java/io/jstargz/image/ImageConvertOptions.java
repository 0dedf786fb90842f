package io.jstargz.image;

import io.jstargz.estargz.BlobFormat;
import io.jstargz.estargz.ConvertOptions;
import io.jstargz.remote.Platform;
import java.util.List;

/**
 * How {@link ImageConverter} converts an image.
 *
 * @param layer            how each layer is converted: format, chunk size, compression level, threads per layer
 *                         (its prioritized files are set per layer, from {@code prioritizedFiles})
 * @param prioritizedFiles paths in the image's final filesystem, in the order the workload reads them; each goes
 *                         into the topmost layer that has it, ahead of that layer's {@code .prefetch.landmark}
 * @param platforms        the platforms of an index to convert; empty means all of them
 * @param force            convert layers that are already in the target format instead of keeping them
 * @param memoryBudget     bytes the layer conversions may hold in memory together; bounds how many layers are
 *                         converted at once
 * @param uncompress       instead of converting, write each compressed layer as its plain tar (ctr-remote's
 *                         {@code --uncompress}); {@code layer} does not apply then
 */
public record ImageConvertOptions(ConvertOptions layer, List<String> prioritizedFiles, List<Platform> platforms,
                                  boolean force, long memoryBudget, boolean uncompress) {

    /** Default memory budget for layer conversions: 256 MiB. */
    public static final long DEFAULT_MEMORY_BUDGET = 256L << 20;
    /** Most layers converted at once, however large the budget: more only adds disk and thread pressure. */
    static final int MAX_PARALLEL_LAYERS = 8;

    public ImageConvertOptions {
        layer = layer.withPrioritizedFiles(List.of());
        prioritizedFiles = List.copyOf(prioritizedFiles);
        platforms = List.copyOf(platforms);
        if (memoryBudget < 1 << 20) {
            throw new IllegalArgumentException("memory budget must be at least 1 MiB, got " + memoryBudget);
        }
        if (uncompress && !prioritizedFiles.isEmpty()) {
            throw new IllegalArgumentException("uncompressed tar layers cannot have prioritized files");
        }
    }

    /** The reference's defaults (eStargz, 4 MiB chunks, level 9), all platforms, nothing prioritized, all cores. */
    public static ImageConvertOptions defaults() {
        return new ImageConvertOptions(ConvertOptions.defaults(), List.of(), List.of(), false, DEFAULT_MEMORY_BUDGET,
                false);
    }

    public BlobFormat format() {
        return layer.format();
    }

    public int chunkSize() {
        return layer.chunkSize();
    }

    public int compressionLevel() {
        return layer.compressionLevel();
    }

    public int threadsPerLayer() {
        return layer.parallelism();
    }

    /** Another format at its default compression level (set a level after this, not before). */
    public ImageConvertOptions withFormat(BlobFormat value) {
        return withLayer(layer.withFormat(value));
    }

    public ImageConvertOptions withChunkSize(int value) {
        return withLayer(layer.withChunkSize(value));
    }

    public ImageConvertOptions withCompressionLevel(int value) {
        return withLayer(layer.withCompressionLevel(value));
    }

    public ImageConvertOptions withThreadsPerLayer(int value) {
        return withLayer(layer.withParallelism(value));
    }

    public ImageConvertOptions withLayer(ConvertOptions value) {
        return new ImageConvertOptions(value, prioritizedFiles, platforms, force, memoryBudget, uncompress);
    }

    public ImageConvertOptions withPrioritizedFiles(List<String> value) {
        return new ImageConvertOptions(layer, value, platforms, force, memoryBudget, uncompress);
    }

    public ImageConvertOptions withPlatforms(List<Platform> value) {
        return new ImageConvertOptions(layer, prioritizedFiles, value, force, memoryBudget, uncompress);
    }

    public ImageConvertOptions withForce(boolean value) {
        return new ImageConvertOptions(layer, prioritizedFiles, platforms, value, memoryBudget, uncompress);
    }

    public ImageConvertOptions withMemoryBudget(long value) {
        return new ImageConvertOptions(layer, prioritizedFiles, platforms, force, value, uncompress);
    }

    public ImageConvertOptions withUncompress(boolean value) {
        return new ImageConvertOptions(layer, prioritizedFiles, platforms, force, memoryBudget, value);
    }

    /**
     * What one layer conversion holds in memory: the compressor keeps {@code 2 * threads} 1 MiB batches in flight,
     * each with its compressed copy, plus the batch being filled, the copy buffer and each thread's compressor
     * (a deflater about 256 KiB, a zstd context at the default level about 2 MiB).
     */
    long memoryPerLayer() {
        long mib = 1L << 20;
        int threads = threadsPerLayer();
        long compressor = format() == BlobFormat.ZSTD_CHUNKED ? 2 * mib : mib / 4;
        return (2L * threads + 1) * 2 * mib + Math.min(chunkSize(), mib) + threads * compressor;
    }

    /**
     * How many layers are converted at once: as many as the budget holds (and half the JVM's heap limit, so that a
     * budget above {@code -Xmx} cannot run the JVM out of memory), at least one.
     */
    int parallelLayers() {
        long budget = Math.min(memoryBudget, Runtime.getRuntime().maxMemory() / 2);
        return (int) Math.max(1, Math.min(MAX_PARALLEL_LAYERS, budget / memoryPerLayer()));
    }
}
