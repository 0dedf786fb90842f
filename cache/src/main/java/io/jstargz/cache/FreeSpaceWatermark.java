package io.jstargz.cache;

import io.jstargz.text.Sizes;
import java.io.IOException;
import java.nio.file.FileStore;

/**
 * The free space the disk tier leaves on its filesystem, whatever else uses it: the larger of {@code bytes} and
 * {@code percent} of the filesystem's size. A byte bound alone knows nothing of the filesystem it is on: a cache
 * allowed 10 GiB on a disk with less free filled it, and the database and containerd's own content beside it failed.
 *
 * @param bytes   free bytes to leave (0: none)
 * @param percent percent of the filesystem to leave free (0: none)
 */
public record FreeSpaceWatermark(long bytes, int percent) {
    /** No watermark: only the byte bound applies. */
    public static final FreeSpaceWatermark NONE = new FreeSpaceWatermark(0, 0);

    public FreeSpaceWatermark {
        if (bytes < 0) {
            throw new IllegalArgumentException("free space watermark bytes must be >= 0, got " + bytes);
        }
        if (percent < 0 || percent > 99) {
            throw new IllegalArgumentException("free space watermark percent must be 0..99, got " + percent);
        }
    }

    /**
     * The bytes to free on {@code store} before writing {@code incoming} more, so that the watermark still holds
     * after the write (0 when it does already); beyond what is lacking, an eighth of the watermark, so that eviction
     * runs once for several writes rather than for each.
     */
    long shortfall(FileStore store, long incoming) throws IOException {
        if (bytes == 0 && percent == 0) {
            return 0;
        }
        long required = Math.max(bytes, store.getTotalSpace() / 100 * percent);
        long lacking = required + incoming - store.getUsableSpace();
        return lacking <= 0 ? 0 : lacking + required / 8;
    }

    @Override
    public String toString() {
        return percent == 0 ? Sizes.human(bytes) : "the larger of " + Sizes.human(bytes) + " and " + percent + "%";
    }
}
