package io.jstargz.cache;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Reads and writes a fixed set of chunks at random through a small cache, checking every byte returned. Run in two
 * processes at once on one directory, it checks that they never break each other (see SharedDirectoryProcessTest).
 */
final class SharedDirectoryChurn {

    static final int CHUNKS = 200;

    private SharedDirectoryChurn() {
    }

    /** Config both processes use: a disk bound far below the data, so both evict all the time. */
    static ChunkCacheConfig config(Path dir) {
        return new ChunkCacheConfig(dir, 64 << 10, 1 << 20, 1, 256 << 10);
    }

    /** Runs {@code ops} random operations; returns the stats, throws at the first wrong byte. */
    static CacheStats churn(Path dir, long seed, int ops) throws IOException {
        byte[][] contents = new byte[CHUNKS][];
        CacheKey[] keys = new CacheKey[CHUNKS];
        for (int i = 0; i < CHUNKS; i++) {
            contents[i] = TestChunks.bytes(i, 1000 + (i * 7919) % 60_000);
            keys[i] = TestChunks.keyOf(contents[i]);
        }
        SplittableRandom random = new SplittableRandom(seed);
        try (ChunkCache cache = ChunkCache.open(config(dir))) {
            for (int op = 0; op < ops; op++) {
                int i = random.nextInt(CHUNKS);
                byte[] expected = contents[i];
                if (random.nextInt(5) == 0) {
                    cache.put(keys[i], expected);
                } else {
                    byte[] got = cache.getIfPresent(keys[i]).orElse(null);
                    if (got == null) {
                        cache.put(keys[i], expected); // a miss: the chunk is fetched again, as the read path does
                    } else if (!Arrays.equals(expected, got)) {
                        throw new IllegalStateException("operation " + op + ": wrong bytes for chunk " + keys[i]);
                    }
                }
            }
            return cache.stats();
        }
    }

    /** Args: directory, seed, operations. Prints "ready" before starting and the stats when done. */
    public static void main(String[] args) throws IOException {
        System.out.println("ready");
        System.out.flush();
        CacheStats stats = churn(Path.of(args[0]), Long.parseLong(args[1]), Integer.parseInt(args[2]));
        System.out.println(stats);
    }
}
