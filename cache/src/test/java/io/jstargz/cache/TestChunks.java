package io.jstargz.cache;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/** Deterministic chunk contents and their content-addressed keys, for tests and the benchmark. */
final class TestChunks {

    private TestChunks() {
    }

    /** {@code size} pseudo-random bytes determined by {@code seed}. */
    static byte[] bytes(long seed, int size) {
        byte[] data = new byte[size];
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < size; i += 8) {
            long v = random.nextLong();
            for (int j = 0; j < 8 && i + j < size; j++) {
                data[i + j] = (byte) (v >>> (8 * j));
            }
        }
        return data;
    }

    /** The key of {@code data} by its sha256, as the TOC's chunkDigest would give it. */
    static CacheKey keyOf(byte[] data) {
        try {
            return CacheKey.ofDigest("sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(data)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Total size of the chunk files under a cache directory, as the file system reports them. */
    static long bytesOnDisk(Path cacheDir) throws IOException {
        try (Stream<Path> files = Files.walk(cacheDir.resolve("chunks"))) {
            return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        }
    }
}
