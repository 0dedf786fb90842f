package io.jstargz.image;

import io.jstargz.estargz.BlobFormat;
import io.jstargz.estargz.ConvertOptions;
import io.jstargz.remote.Platform;
import java.util.List;

/**
 * How {@link ImageConverter} converts an image.
 *
 * @param chunkSize        largest uncompressed chunk of a file in one gzip member (reference default 4 MiB)
 * @param compressionLevel gzip level 0..9, or -1 for zlib's default (reference default 9)
 * @param prioritizedFiles paths in the image's final filesystem, in the order the workload reads them; each goes
 *                         into the topmost layer that has it, ahead of that layer's {@code .prefetch.landmark}
 * @param platforms        the platforms of an index to convert; empty means all of them
 * @param force            convert layers that are already eStargz instead of keeping them
 * @param memoryBudget     bytes the layer conversions may hold in memory together; bounds how many layers are
 *                         converted at once
 * @param threadsPerLayer  threads compressing one layer
 */
public record ImageConvertOptions(int chunkSize, int compressionLevel, List<String> prioritizedFiles,
                                  List<Platform> platforms, boolean force, long memoryBudget, int threadsPerLayer) {

    /** Default memory budget for layer conversions: 256 MiB. */
    public static final long DEFAULT_MEMORY_BUDGET = 256L << 20;
    /** Most layers converted at once, however large the budget: more only adds disk and thread pressure. */
    static final int MAX_PARALLEL_LAYERS = 8;

    public ImageConvertOptions {
        prioritizedFiles = List.copyOf(prioritizedFiles);
        platforms = List.copyOf(platforms);
        if (memoryBudget < 1 << 20) {
            throw new IllegalArgumentException("memory budget must be at least 1 MiB, got " + memoryBudget);
        }
        // validates chunk size, level and threads with the layer converter's own rules
        new ConvertOptions(BlobFormat.ESTARGZ, chunkSize, compressionLevel, List.of(), threadsPerLayer, null);
    }

    /** The reference's defaults (4 MiB chunks, level 9), all platforms, nothing prioritized, all cores per layer. */
    public static ImageConvertOptions defaults() {
        return new ImageConvertOptions(ConvertOptions.DEFAULT_CHUNK_SIZE, ConvertOptions.DEFAULT_COMPRESSION_LEVEL,
                List.of(), List.of(), false, DEFAULT_MEMORY_BUDGET, Runtime.getRuntime().availableProcessors());
    }

    public ImageConvertOptions withChunkSize(int value) {
        return new ImageConvertOptions(value, compressionLevel, prioritizedFiles, platforms, force, memoryBudget,
                threadsPerLayer);
    }

    public ImageConvertOptions withCompressionLevel(int value) {
        return new ImageConvertOptions(chunkSize, value, prioritizedFiles, platforms, force, memoryBudget,
                threadsPerLayer);
    }

    public ImageConvertOptions withPrioritizedFiles(List<String> value) {
        return new ImageConvertOptions(chunkSize, compressionLevel, value, platforms, force, memoryBudget,
                threadsPerLayer);
    }

    public ImageConvertOptions withPlatforms(List<Platform> value) {
        return new ImageConvertOptions(chunkSize, compressionLevel, prioritizedFiles, value, force, memoryBudget,
                threadsPerLayer);
    }

    public ImageConvertOptions withForce(boolean value) {
        return new ImageConvertOptions(chunkSize, compressionLevel, prioritizedFiles, platforms, value, memoryBudget,
                threadsPerLayer);
    }

    public ImageConvertOptions withMemoryBudget(long value) {
        return new ImageConvertOptions(chunkSize, compressionLevel, prioritizedFiles, platforms, force, value,
                threadsPerLayer);
    }

    public ImageConvertOptions withThreadsPerLayer(int value) {
        return new ImageConvertOptions(chunkSize, compressionLevel, prioritizedFiles, platforms, force, memoryBudget,
                value);
    }

    /** The layer converter's options, without prioritized files (those are per layer). */
    ConvertOptions layerOptions() {
        return new ConvertOptions(BlobFormat.ESTARGZ, chunkSize, compressionLevel, List.of(), threadsPerLayer, null);
    }

    /**
     * What one layer conversion holds in memory: the compressor keeps {@code 2 * threads} 1 MiB batches in flight,
     * each with its compressed copy, plus the batch being filled, the copy buffer and the deflaters' own state.
     */
    long memoryPerLayer() {
        long mib = 1L << 20;
        return (2L * threadsPerLayer + 1) * 2 * mib + Math.min(chunkSize, mib) + threadsPerLayer * (mib / 4);
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
