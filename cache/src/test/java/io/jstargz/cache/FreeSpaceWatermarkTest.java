package io.jstargz.cache;

import static io.jstargz.cache.TestChunks.bytes;
import static io.jstargz.cache.TestChunks.keyOf;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jstargz.process.Command;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The disk tier on a real, small filesystem (a 16 MiB tmpfs; needs root): it keeps the free space it is told to. */
class FreeSpaceWatermarkTest {
    private static final long MIN_FREE = 4L << 20;
    private static final int CHUNK = 256 << 10;
    /** A file takes whole pages and a header beyond its bytes: the watermark holds to within one chunk file. */
    private static final long SLACK = CHUNK + (64 << 10);

    @TempDir
    Path tmp;
    private Path fs;

    @BeforeEach
    void mountSmallFilesystem() throws IOException {
        fs = Files.createDirectories(tmp.resolve("fs"));
        Command.of("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", fs.toString()).run(Duration.ofSeconds(30))
                .orThrow();
    }

    @AfterEach
    void unmount() throws IOException {
        Command.of("umount", fs.toString()).run(Duration.ofSeconds(30)).orThrow();
    }

    private ChunkCache open() throws IOException {
        // a byte bound far above the filesystem: only the watermark can stop the cache
        return ChunkCache.open(new ChunkCacheConfig(fs.resolve("cache"), 0, 1L << 30, 1, 0,
                new FreeSpaceWatermark(MIN_FREE, 0)));
    }

    @Test
    void theCacheEvictsToKeepTheWatermarkAndAFullFilesystemGetsItBackAtOpen() throws Exception {
        FileStore store = Files.getFileStore(fs);
        List<byte[]> written = new ArrayList<>();
        try (ChunkCache cache = open()) {
            for (int i = 0; i < 100; i++) { // 25 MiB through a 16 MiB filesystem
                byte[] data = bytes(i, CHUNK);
                cache.put(keyOf(data), data);
                written.add(data);
                assertTrue(store.getUsableSpace() >= MIN_FREE - SLACK,
                        "after chunk " + i + ": " + store.getUsableSpace() + " bytes free");
            }
            byte[] last = written.get(written.size() - 1);
            assertArrayEquals(last, cache.getIfPresent(keyOf(last)).orElseThrow(), "the latest chunk is kept");
        }

        // something else fills the filesystem to the last byte
        try (OutputStream filler = Files.newOutputStream(fs.resolve("filler"))) {
            byte[] block = new byte[64 << 10];
            assertThrows(IOException.class, () -> {
                while (true) {
                    filler.write(block);
                    filler.flush();
                }
            });
        }
        assertTrue(store.getUsableSpace() < MIN_FREE / 4, store.getUsableSpace() + " bytes free");

        try (ChunkCache cache = open()) {
            assertTrue(store.getUsableSpace() >= MIN_FREE - SLACK,
                    "the open gave back what the filesystem lacked: " + store.getUsableSpace() + " bytes free");
            int kept = 0;
            for (byte[] data : written) {
                var got = cache.getIfPresent(keyOf(data));
                if (got.isPresent()) {
                    assertArrayEquals(data, got.get());
                    kept++;
                }
            }
            assertTrue(kept > 0, "the most recent chunks are still cached");
        }
    }
}
