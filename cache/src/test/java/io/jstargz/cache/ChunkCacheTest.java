package io.jstargz.cache;

import io.jstargz.concurrent.BackgroundGate;
import io.jstargz.io.FileRanges;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import static io.jstargz.cache.TestChunks.bytes;
import static io.jstargz.cache.TestChunks.keyOf;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChunkCacheTest {

    @TempDir
    Path dir;

    /** A cache whose disk writes happen in the caller, so what is on disk is known when put returns. */
    private ChunkCache open(long memoryBytes, long diskBytes) throws IOException {
        return ChunkCache.open(new ChunkCacheConfig(dir, memoryBytes, diskBytes, 2, 0));
    }

    /** {@code length} bytes at {@code from} of the chunk, read in part from its file; null if it was not. */
    private static byte[] part(ChunkCache cache, CacheKey key, int from, int length) {
        ByteBuffer into = ByteBuffer.allocate(length);
        boolean read = cache.readFromDisk(key, from, length, (file, position, n) -> FileRanges.readFully(file, position,
                into));
        return read ? into.array() : null;
    }

    @Test
    void getRightAfterPutHitsEvenWithoutAMemoryTier() throws Exception {
        byte[] data = bytes(3, 50_000);
        CacheKey key = keyOf(data);
        try (ChunkCache cache = ChunkCache.open(new ChunkCacheConfig(dir, 0, 1 << 20, 2))) {
            cache.put(key, data);
            assertTrue(cache.contains(key));
            assertArrayEquals(data, cached(cache, key));
            assertArrayEquals(data, cache.getIfPresent(key).orElseThrow());
        }
        try (ChunkCache cache = open(0, 1 << 20)) {
            cache.awaitIndexed();
            assertEquals(1, cache.stats().diskEntries(), "close waits for the queued disk write");
            assertArrayEquals(data, cached(cache, key));
            assertEquals(1, cache.stats().diskHits());
            assertEquals(0, cache.stats().memoryBytes());
        }
    }

    @Test
    void aCacheWithoutADiskTierServesFromMemoryAndWritesNoFile() throws Exception {
        byte[] data = bytes(5, 50_000);
        CacheKey key = keyOf(data);
        try (ChunkCache cache = ChunkCache.open(new ChunkCacheConfig(dir, 1 << 20, 0, 2))) {
            cache.put(key, data);
            assertTrue(cache.flush(60_000));
            assertArrayEquals(data, cache.getIfPresent(key).orElseThrow());
            assertEquals(1, cache.stats().memoryHits());
            assertEquals(0, cache.stats().diskEntries());
        }
        try (Stream<Path> files = Files.walk(dir)) {
            assertEquals(List.of(), files.filter(Files::isRegularFile).toList(), "no chunk file is written");
        }
    }

    @Test
    void flushPutsEveryQueuedChunkOnDiskWhileTheCacheStaysOpen() throws Exception {
        List<byte[]> chunks = new ArrayList<>();
        try (ChunkCache cache = ChunkCache.open(new ChunkCacheConfig(dir, 0, 64 << 20, 2))) {
            for (int i = 0; i < 20; i++) {
                byte[] data = bytes(100 + i, 200_000);
                chunks.add(data);
                cache.put(keyOf(data), data);
            }
            assertTrue(cache.flush(60_000));
            // a second process sharing the directory sees every chunk while the first still runs
            try (ChunkCache other = open(0, 64 << 20)) {
                for (byte[] data : chunks) {
                    assertArrayEquals(data, cached(other, keyOf(data)));
                }
            }
        }
    }

    @Test
    void aChunkPutOnDiskIsWrittenAtOnceAndStaysOutOfTheMemoryTierUntilAReaderHitsIt() throws Exception {
        byte[] data = bytes(6, 50_000);
        CacheKey key = keyOf(data);
        try (ChunkCache cache = ChunkCache.open(new ChunkCacheConfig(dir, 1 << 20, 1 << 20, 2))) {
            cache.putOnDisk(key, data);
            assertTrue(cache.contains(key));
            assertEquals(0, cache.stats().memoryBytes(), "the memory tier holds nothing");
            assertEquals(1, cache.stats().diskEntries());
            assertArrayEquals(data, cache.getIfPresent(key).orElseThrow());
            assertEquals(1, cache.stats().diskHits());
            assertEquals(data.length, cache.stats().memoryBytes(), "a reader's disk hit puts it in memory");
        }
    }

    @Test
    void aPartOfAChunkThisProcessWroteIsReadFromItsFileAndLeftOutOfMemory() throws Exception {
        byte[] data = bytes(8, 300_000);
        CacheKey key = keyOf(data);
        try (ChunkCache cache = open(1 << 20, 1 << 20)) {
            assertFalse(cache.isOnDiskWhole(key));
            cache.putOnDisk(key, data);
            assertTrue(cache.isOnDiskWhole(key));
            assertArrayEquals(Arrays.copyOfRange(data, 131_072, 262_144), part(cache, key, 131_072, 131_072));
            assertArrayEquals(Arrays.copyOfRange(data, 299_000, 300_000), part(cache, key, 299_000, 1000));
            assertEquals(2, cache.stats().diskHits());
            assertEquals(0, cache.stats().memoryBytes(), "parts read from disk stay out of the memory tier");
        }
    }

    @Test
    void aChunkFileFromAnEarlierProcessIsReadInPartOnlyOnceReadWholeAndChecked() throws Exception {
        byte[] data = bytes(9, 100_000);
        CacheKey key = keyOf(data);
        byte[] corrupt = bytes(10, 100_000);
        CacheKey corruptKey = keyOf(corrupt);
        try (ChunkCache cache = open(0, 1 << 20)) {
            cache.put(key, data);
            cache.put(corruptKey, corrupt);
        }
        byte[] onDisk = Files.readAllBytes(path(corruptKey));
        onDisk[ChunkFile.HEADER_BYTES + 50_000] ^= 1;
        Files.write(path(corruptKey), onDisk);
        try (ChunkCache cache = open(0, 1 << 20)) {
            cache.awaitIndexed();
            assertTrue(cache.contains(key) && cache.contains(corruptKey));
            assertFalse(cache.isOnDiskWhole(key), "not checked by this process yet");
            assertNull(part(cache, key, 0, 1000));
            assertArrayEquals(data, cache.getIfPresent(key).orElseThrow());
            assertTrue(cache.isOnDiskWhole(key));
            assertArrayEquals(Arrays.copyOfRange(data, 40_000, 41_000), part(cache, key, 40_000, 1000));

            assertFalse(cache.isOnDiskWhole(corruptKey));
            assertNull(part(cache, corruptKey, 50_000, 1), "a part of a file never checked is not read");
            assertTrue(cache.getIfPresent(corruptKey).isEmpty(), "read whole, it fails its check");
            assertFalse(cache.isOnDiskWhole(corruptKey));
            assertFalse(Files.exists(path(corruptKey)));
        }
    }

    /** A 4 MiB chunk is written and read in slices (see ChunkFile): every slice lands, and one flipped bit fails. */
    @Test
    void aChunkOfManySlicesReadsBackWholeAndAFlipInItsLastSliceFailsItsCheck() throws Exception {
        byte[] data = bytes(13, (4 << 20) + 3);
        CacheKey key = keyOf(data);
        byte[] flipped = bytes(14, (4 << 20) + 3);
        CacheKey flippedKey = keyOf(flipped);
        try (ChunkCache cache = open(0, 16 << 20)) {
            cache.putOnDisk(key, data);
            cache.putOnDisk(flippedKey, flipped);
        }
        assertEquals(ChunkFile.fileSize(data.length), Files.size(path(key)));
        byte[] onDisk = Files.readAllBytes(path(flippedKey));
        onDisk[onDisk.length - 2] ^= 1;
        Files.write(path(flippedKey), onDisk);
        try (ChunkCache cache = open(0, 16 << 20)) {
            cache.awaitIndexed();
            assertArrayEquals(data, cache.getIfPresent(key).orElseThrow());
            assertTrue(cache.getIfPresent(flippedKey).isEmpty(), "a flip in the last slice fails the CRC32C check");
        }
    }

    @Test
    void aChunkFileCutShortOrDeletedUnderAReaderReadsAsGone() throws Exception {
        byte[] data = bytes(11, 200_000);
        CacheKey key = keyOf(data);
        byte[] other = bytes(12, 200_000);
        CacheKey otherKey = keyOf(other);
        try (ChunkCache cache = open(0, 1 << 20)) {
            cache.putOnDisk(key, data);
            cache.putOnDisk(otherKey, other);
            try (FileChannel ch = FileChannel.open(path(key), StandardOpenOption.WRITE)) {
                ch.truncate(150_000);
            }
            assertArrayEquals(Arrays.copyOfRange(data, 0, 1000), part(cache, key, 0, 1000),
                    "what is still there is read");
            assertNull(part(cache, key, 180_000, 1000));
            assertEquals(1, cache.stats().corruptEntries());
            assertFalse(Files.exists(path(key)), "the short file was deleted");
            assertFalse(cache.contains(key));

            Files.delete(path(otherKey)); // as another process sharing the directory may
            assertNull(part(cache, otherKey, 0, 1000));
            assertFalse(cache.contains(otherKey));
            assertEquals(1, cache.stats().diskHits());
        }
    }

    @Test
    void aChunkPutOnDiskWithoutADiskTierIsKeptInMemory() throws Exception {
        byte[] data = bytes(7, 50_000);
        CacheKey key = keyOf(data);
        try (ChunkCache cache = open(1 << 20, 0)) {
            cache.putOnDisk(key, data);
            assertEquals(data.length, cache.stats().memoryBytes());
            assertArrayEquals(data, cache.getIfPresent(key).orElseThrow());
        }
    }

    @Test
    void getIfPresentOfAnAbsentChunkCountsAMiss() throws Exception {
        try (ChunkCache cache = open(1 << 20, 1 << 20)) {
            CacheKey absent = keyOf(bytes(4, 10));
            assertTrue(cache.getIfPresent(absent).isEmpty());
            assertFalse(cache.contains(absent));
            assertEquals(1, cache.stats().misses());
        }
    }

    @Test
    void evictionKeepsDiskBytesUnderTheBoundAndDropsTheLeastRecentlyUsed() throws Exception {
        long bound = 1 << 20;
        int size = 64 << 10;
        List<byte[]> chunks = new ArrayList<>();
        try (ChunkCache cache = open(0, bound)) {
            for (int i = 0; i < 40; i++) {
                chunks.add(bytes(100 + i, size));
                cache.put(keyOf(chunks.get(i)), chunks.get(i));
                if (i == 10) {
                    assertArrayEquals(chunks.get(0), cached(cache, keyOf(chunks.get(0))));
                }
                assertTrue(cache.stats().diskBytes() <= bound, "disk tier over its bound after put " + i);
                assertTrue(TestChunks.bytesOnDisk(dir) <= bound, "files over the bound after put " + i);
            }
            CacheStats stats = cache.stats();
            assertTrue(stats.evictions() >= 40 - bound / size, "evictions: " + stats.evictions());
            assertEquals(TestChunks.bytesOnDisk(dir), stats.diskBytes());
            assertTrue(cache.contains(keyOf(chunks.get(39))), "the newest chunk stays");
            assertFalse(cache.contains(keyOf(chunks.get(1))), "the eldest unused chunk left first");
        }
    }

    @Test
    void aChunkUsedRecentlyOutlivesOlderOnes() throws Exception {
        long bound = 16 * (ChunkFile.HEADER_BYTES + 1000L);
        try (ChunkCache cache = open(0, bound)) {
            List<CacheKey> keys = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                byte[] data = bytes(200 + i, 1000);
                keys.add(keyOf(data));
                cache.put(keys.get(i), data);
            }
            cached(cache, keys.get(0));
            byte[] extra = bytes(300, 1000);
            cache.put(keyOf(extra), extra);
            assertTrue(cache.contains(keys.get(0)));
            assertFalse(cache.contains(keys.get(1)));
        }
    }

    @Test
    void restartKeepsEntries() throws Exception {
        List<byte[]> chunks = new ArrayList<>();
        try (ChunkCache cache = ChunkCache.open(ChunkCacheConfig.defaults(dir))) {
            for (int i = 0; i < 20; i++) {
                chunks.add(bytes(400 + i, 1000 * (i + 1)));
                cache.put(keyOf(chunks.get(i)), chunks.get(i));
            }
        }
        try (ChunkCache cache = ChunkCache.open(ChunkCacheConfig.defaults(dir))) {
            cache.awaitIndexed();
            assertEquals(20, cache.stats().diskEntries());
            assertEquals(TestChunks.bytesOnDisk(dir), cache.stats().diskBytes());
            for (byte[] chunk : chunks) {
                assertTrue(cache.contains(keyOf(chunk)));
                assertArrayEquals(chunk, cached(cache, keyOf(chunk)));
            }
            assertEquals(20, cache.stats().diskHits());
        }
    }

    @Test
    void restartOrdersEvictionByLastUse() throws Exception {
        List<CacheKey> keys = new ArrayList<>();
        try (ChunkCache cache = open(0, 1 << 20)) {
            for (int i = 0; i < 10; i++) {
                byte[] data = bytes(500 + i, 1000);
                keys.add(keyOf(data));
                cache.put(keys.get(i), data);
            }
        }
        long now = System.currentTimeMillis();
        for (int i = 0; i < 10; i++) { // chunk 0 used last, chunk 9 first
            Files.setLastModifiedTime(path(keys.get(i)), java.nio.file.attribute.FileTime.fromMillis(now - i * 1000L));
        }
        // room for 5 chunks of 1012 bytes, also at the low water mark eviction frees down to
        try (ChunkCache cache = open(0, 5500)) {
            cache.awaitIndexed();
            assertEquals(5, cache.stats().evictions());
            for (int i = 0; i < 10; i++) {
                assertEquals(i < 5, cache.contains(keys.get(i)), "chunk " + i);
            }
        }
    }

    @Test
    void aUseIsRecordedInTheFileForTheNextStart() throws Exception {
        byte[] data = bytes(16, 1000);
        CacheKey key = keyOf(data);
        try (ChunkCache cache = open(1 << 20, 1 << 20)) {
            cache.put(key, data);
        }
        long hourAgo = System.currentTimeMillis() - 3_600_000;
        Files.setLastModifiedTime(path(key), java.nio.file.attribute.FileTime.fromMillis(hourAgo));
        try (ChunkCache cache = open(1 << 20, 1 << 20)) {
            cache.awaitIndexed();
            cached(cache, key); // from disk
            long afterRead = Files.getLastModifiedTime(path(key)).toMillis();
            assertTrue(afterRead > hourAgo + 3_000_000, "modification time not refreshed: " + afterRead);
        }
    }

    @Test
    void truncatedFileIsDetectedAndRefetched() throws Exception {
        byte[] data = bytes(6, 200_000);
        CacheKey key = keyOf(data);
        try (ChunkCache cache = open(0, 1 << 20)) {
            cache.put(key, data);
        }
        Path file = path(key);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(100_000);
        }
        try (ChunkCache cache = open(0, 1 << 20)) {
            assertTrue(cache.contains(key), "truncation is found on read, not at start");
            assertTrue(cache.getIfPresent(key).isEmpty(), "a truncated chunk is a miss");
            assertEquals(1, cache.stats().corruptEntries());
            cache.put(key, data);
        }
        // close() drains the asynchronous disk writer, so the refetched chunk is on disk now
        assertEquals(ChunkFile.fileSize(data.length), Files.size(file), "the refetched chunk was written again");
        try (ChunkCache cache = open(0, 1 << 20)) {
            assertArrayEquals(data, cached(cache, key));
        }
    }

    @Test
    void corruptedByteIsDetectedAndNeverReturned() throws Exception {
        byte[] data = bytes(7, 5000);
        CacheKey key = keyOf(data);
        try (ChunkCache cache = open(0, 1 << 20)) {
            cache.put(key, data);
            byte[] onDisk = Files.readAllBytes(path(key));
            onDisk[ChunkFile.HEADER_BYTES + 4321] ^= 1;
            Files.write(path(key), onDisk);
            assertTrue(cache.getIfPresent(key).isEmpty());
            assertEquals(1, cache.stats().corruptEntries());
            assertFalse(Files.exists(path(key)), "the corrupt file was deleted");
            assertFalse(cache.contains(key));
            assertEquals(0, cache.stats().diskEntries());
        }
    }

    @Test
    void partialAndForeignFilesAreDroppedAtStart() throws Exception {
        byte[] data = bytes(8, 3000);
        CacheKey key = keyOf(data);
        try (ChunkCache cache = open(0, 1 << 20)) {
            cache.put(key, data);
        }
        Path staleTemp = dir.resolve("tmp").resolve(key.fileName() + ".1.1.tmp");
        Path freshTemp = dir.resolve("tmp").resolve(key.fileName() + ".2.1.tmp");
        Files.write(staleTemp, new byte[100]);
        Files.setLastModifiedTime(staleTemp, java.nio.file.attribute.FileTime.fromMillis(
                System.currentTimeMillis() - DiskScanner.TEMP_GRACE_MILLIS - 1000));
        Files.write(freshTemp, new byte[100]);
        CacheKey emptyKey = keyOf(bytes(9, 10));
        Files.createDirectories(path(emptyKey).getParent());
        Files.write(path(emptyKey), new byte[0]);
        Path foreign = path(key).resolveSibling("notes.txt");
        Files.write(foreign, new byte[100]);

        try (ChunkCache cache = open(0, 1 << 20)) {
            cache.awaitIndexed();
            assertFalse(Files.exists(staleTemp));
            assertTrue(Files.exists(freshTemp), "a recent temp file may be another process's write in progress");
            assertFalse(Files.exists(path(emptyKey)));
            assertFalse(Files.exists(foreign));
            assertEquals(1, cache.stats().diskEntries());
            assertArrayEquals(data, cached(cache, key));
        }
    }

    @Test
    void changingTheShardWidthKeepsEntries() throws Exception {
        byte[] data = bytes(10, 3000);
        CacheKey key = keyOf(data);
        try (ChunkCache cache = ChunkCache.open(new ChunkCacheConfig(dir, 0, 1 << 20, 2, 0))) {
            cache.put(key, data);
        }
        try (ChunkCache cache = ChunkCache.open(new ChunkCacheConfig(dir, 0, 1 << 20, 3, 0))) {
            cache.awaitIndexed(); // the rebuild moves files to their new shard
            assertArrayEquals(data, cached(cache, key));
            assertTrue(Files.exists(dir.resolve("chunks").resolve(key.shardHex().substring(0, 3))
                    .resolve(key.fileName())));
        }
    }

    @Test
    void chunksWithoutDigestAreKeyedByBlobAndOffset() throws Exception {
        String blob = "sha256:" + "cd".repeat(32);
        byte[] first = bytes(11, 4000);
        byte[] second = bytes(12, 4000);
        try (ChunkCache cache = open(0, 1 << 20)) {
            cache.put(CacheKey.ofBlobOffset(blob, 0), first);
            cache.put(CacheKey.ofBlobOffset(blob, 4000), second);
        }
        try (ChunkCache cache = open(0, 1 << 20)) {
            assertArrayEquals(first, cached(cache, CacheKey.ofBlobOffset(blob, 0)));
            assertArrayEquals(second, cached(cache, CacheKey.ofBlobOffset(blob, 4000)));
        }
    }

    @Test
    void failedDiskWriteKeepsTheChunkInMemory() throws Exception {
        byte[] data = bytes(13, 3000);
        CacheKey key = keyOf(data);
        try (ChunkCache cache = open(1 << 20, 1 << 20)) {
            Files.delete(dir.resolve("tmp"));
            Files.write(dir.resolve("tmp"), new byte[0]); // temp files cannot be created any more
            cache.put(key, data);
            assertEquals(1, cache.stats().diskWriteFailures());
            assertEquals(0, cache.stats().diskEntries());
            assertArrayEquals(data, cached(cache, key));
        }
    }

    @Test
    void twoCachesSharingADirectorySeeEachOthersChunksAndEvictions() throws Exception {
        byte[] data = bytes(14, 100_000);
        CacheKey key = keyOf(data);
        long bound = ChunkFile.fileSize(data.length);
        try (ChunkCache a = open(0, bound); ChunkCache b = open(0, bound)) {
            a.put(key, data);
            assertTrue(b.contains(key), "b finds the file a wrote");
            assertArrayEquals(data, cached(b, key));
            byte[] other = bytes(15, 100_000);
            b.put(keyOf(other), other); // evicts key from b's index and from disk
            assertFalse(Files.exists(path(key)));
            assertTrue(a.getIfPresent(key).isEmpty(), "a reads the deleted file as a miss");
            assertEquals(1, a.stats().misses());
            assertEquals(0, a.stats().corruptEntries());
        }
    }

    @Test
    void queuedWritesWaitForTheGateUnlessAFlushOrTheCloseAsksForThem() throws Exception {
        HeldGate gate = new HeldGate();
        byte[] first = bytes(16, 50_000);
        byte[] second = bytes(17, 50_000);
        try (ChunkCache cache = ChunkCache.open(new ChunkCacheConfig(dir, 1 << 20, 1 << 20, 2), gate)) {
            cache.put(keyOf(first), first);
            assertTrue(gate.asked.await(30, TimeUnit.SECONDS), "the writer asks the gate");
            assertFalse(Files.exists(path(keyOf(first))), "nothing is written while the gate is closed");
            assertArrayEquals(first, cached(cache, keyOf(first)), "the queued chunk is found meanwhile");
            assertTrue(cache.flush(30_000));
            assertTrue(Files.exists(path(keyOf(first))), "a flush writes it with the gate closed");
            cache.put(keyOf(second), second);
        }
        assertTrue(Files.exists(path(keyOf(second))), "so does the close");
        assertEquals(2, gate.passedUnless.size());
    }

    @Test
    void aQueueThreeQuartersFullIsWrittenWithTheGateClosed() throws Exception {
        HeldGate gate = new HeldGate();
        int size = 100_000;
        // room for four chunks: the fourth takes the queue past three quarters
        long queue = 4L * (size + 256) + 1;
        try (ChunkCache cache = ChunkCache.open(new ChunkCacheConfig(dir, 1 << 20, 8 << 20, 2, queue), gate)) {
            for (int i = 0; i < 3; i++) {
                byte[] data = bytes(20 + i, size);
                cache.put(keyOf(data), data);
            }
            assertTrue(gate.asked.await(30, TimeUnit.SECONDS), "the writer asks the gate");
            assertEquals(0, gate.passedUnless.size(), "three chunks wait for the gate");
            byte[] fourth = bytes(23, size);
            cache.put(keyOf(fourth), fourth);
            assertTrue(gate.passedUnless.poll(30, TimeUnit.SECONDS) != null, "the fourth lets the writer go on");
        }
    }

    /**
     * A gate that stays closed, as a snapshotter's quiet period is while containers start; it records each wait that
     * ended because its caller's condition held.
     */
    private static final class HeldGate implements BackgroundGate {
        final CountDownLatch asked = new CountDownLatch(1);
        final BlockingQueue<Boolean> passedUnless = new LinkedBlockingQueue<>();

        @Override
        public synchronized void awaitOpen(BooleanSupplier unless) throws InterruptedException {
            asked.countDown();
            while (!unless.getAsBoolean()) {
                wait();
            }
            passedUnless.add(true);
        }

        @Override
        public synchronized void wake() {
            notifyAll();
        }
    }

    /** The cached chunk of {@code key}; fails the test when it is not cached. */
    private static byte[] cached(ChunkCache cache, CacheKey key) {
        return cache.getIfPresent(key).orElseThrow(() -> new AssertionError("chunk " + key + " is not cached"));
    }

    private Path path(CacheKey key) {
        return dir.resolve("chunks").resolve(key.shardHex().substring(0, 2)).resolve(key.fileName());
    }
}
