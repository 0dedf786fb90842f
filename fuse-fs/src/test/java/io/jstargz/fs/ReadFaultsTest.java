package io.jstargz.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jstargz.cache.CacheKey;
import io.jstargz.cache.ChunkCache;
import io.jstargz.cache.ChunkCacheConfig;
import io.jstargz.estargz.Chunk;
import io.jstargz.estargz.FileBlobSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Corrupt bytes and many concurrent readers, through real FUSE mounts. */
class ReadFaultsTest {

    @TempDir
    Path tmp;

    @Test
    void corruptBytesFailThatFileWithEioAndOtherFilesStillRead() throws Exception {
        Path path = ReferenceListing.TESTDATA.resolve(LocalLayerMountTest.DEFAULT);
        LayerMountOptions onDemand = LayerMountOptions.builder().prefetch(false).backgroundFetch(false).build();
        try (ChunkCache cache = ChunkCache.open(ChunkCacheConfig.defaults(tmp.resolve("cache")));
             FileBlobSource file = FileBlobSource.open(path);
             LayerMount probe = LayerMount.open(LayerIdentity.ofFile(path), FileBlobSource.open(path), cache,
                     onDemand)) {
            Chunk bad = probe.index().lookup("usr/lib/big.bin").orElseThrow().chunks().get(0);
            long middle = bad.blobOffset() + bad.spanLength() / 2;
            try (LayerMount m = LayerMount.open(LayerIdentity.ofFile(path),
                    new CorruptingBlobSource(file, middle, middle + 16), cache, onDemand)) {
                m.mount(Files.createDirectories(tmp.resolve("mnt")));
                Path root = m.mountPoint();
                IOException e = assertThrows(IOException.class, () -> Files.readAllBytes(root.resolve(
                        "usr/lib/big.bin")));
                assertTrue(e.getMessage().contains("Input/output error"), e.getMessage());
                assertThrows(IOException.class, () -> Files.readAllBytes(root.resolve("usr/lib/big-link.bin")));
                assertFalse(cache.contains(CacheKey.ofDigest(bad.digest())), "unverified bytes are never cached");
                assertTrue(m.progress().failedReads() >= 1);

                List<ReferenceListing.Item> listing = ReferenceListing.of(LocalLayerMountTest.DEFAULT);
                for (ReferenceListing.Item item : listing) {
                    if (item.type().equals("reg") && !item.name().startsWith("usr/lib/big")
                            && !item.baseName().startsWith(".")) {
                        assertEquals(item.sha256(), ListingCheck.sha256(root.resolve(item.name())), item.name());
                    }
                }
                m.check(); // the mount stays up
            }
        }
    }

    @Test
    void aLegacyFileWithoutChunkDigestsIsVerifiedWholeSoACorruptLaterChunkFailsAnEarlyRead() throws Exception {
        Path path = ReferenceListing.TESTDATA.resolve("small1-chunk64k-crfs.stargz");
        LayerMountOptions onDemand = LayerMountOptions.builder().prefetch(false).backgroundFetch(false).build();
        try (ChunkCache cache = ChunkCache.open(ChunkCacheConfig.defaults(tmp.resolve("cache")));
             FileBlobSource file = FileBlobSource.open(path);
             LayerMount probe = LayerMount.open(LayerIdentity.ofFile(path), FileBlobSource.open(path), cache,
                     onDemand)) {
            Chunk first = probe.index().lookup("usr/lib/big.bin").orElseThrow().chunks().get(0);
            long middle = first.blobOffset() + first.spanLength() / 2; // in the third of its five members
            try (LayerMount m = LayerMount.open(LayerIdentity.ofFile(path),
                    new CorruptingBlobSource(file, middle, middle + 16), cache, onDemand)) {
                m.mount(Files.createDirectories(tmp.resolve("mnt")));
                Path big = m.mountPoint().resolve("usr/lib/big.bin");
                try (var channel = Files.newByteChannel(big)) {
                    IOException e = assertThrows(IOException.class,
                            () -> channel.read(java.nio.ByteBuffer.allocate(100)));
                    assertTrue(e.getMessage().contains("Input/output error"), e.getMessage());
                }
                assertFalse(cache.contains(CacheKey.ofDigest(first.digest())), "unverified bytes are never cached");
                assertEquals(ReferenceListing.of("small1-chunk64k-crfs.stargz").stream()
                        .filter(i -> i.name().equals("etc/passwd")).findFirst().orElseThrow().sha256(),
                        ListingCheck.sha256(m.mountPoint().resolve("etc/passwd")));
                m.check();
            }
        }
    }

    @Test
    void manyParallelReadersOverManyFilesGetCorrectContent() throws Exception {
        TestLayers.Layer layer = TestLayers.random(tmp.resolve("layer"), 240, 300_000, 32 * 1024, 42);
        LayerMountOptions onDemand = LayerMountOptions.builder().prefetch(false).backgroundFetch(false)
                .fetchThreads(4).build();
        ExecutorService readers = Executors.newFixedThreadPool(16);
        try (ChunkCache cache = ChunkCache.open(new ChunkCacheConfig(tmp.resolve("cache"), 8L << 20, 1L << 30, 2));
             LayerMount m = LayerMount.open(LayerIdentity.ofFile(layer.blob()), FileBlobSource.open(layer.blob()),
                     cache, onDemand)) {
            m.mount(Files.createDirectories(tmp.resolve("mnt")));
            Path root = m.mountPoint();
            List<String> paths = new ArrayList<>(layer.contents().keySet());
            List<Future<Integer>> results = new ArrayList<>();
            for (int r = 0; r < 16; r++) {
                List<String> order = new ArrayList<>(paths);
                Collections.shuffle(order, new Random(r));
                int reader = r;
                results.add(readers.submit(() -> readAll(root, order, layer.contents(), reader)));
            }
            int checked = 0;
            for (Future<Integer> f : results) {
                checked += f.get(5, TimeUnit.MINUTES);
            }
            assertEquals(16 * paths.size(), checked);
            assertEquals(0, m.progress().failedReads());
            assertTrue(m.progress().onDemandBytes() <= layer.result().size(),
                    "each span is fetched once however many readers want it: " + m.progress().onDemandBytes()
                            + " bytes fetched for a " + layer.result().size() + "-byte blob");
        } finally {
            readers.shutdownNow();
        }
    }

    /** Reads whole files (even readers) or random ranges (odd readers) and compares them with the source. */
    private static int readAll(Path root, List<String> paths, Map<String, byte[]> contents, int reader)
            throws IOException {
        Random random = new Random(reader);
        for (String p : paths) {
            byte[] want = contents.get(p);
            if (reader % 2 == 0 || want.length == 0) {
                assertArrayEquals(want, Files.readAllBytes(root.resolve(p)), p);
                continue;
            }
            try (var ch = java.nio.channels.FileChannel.open(root.resolve(p))) {
                int off = random.nextInt(want.length);
                int len = Math.min(want.length - off, 1 + random.nextInt(200_000));
                java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(len);
                while (buf.hasRemaining() && ch.read(buf, off + buf.position()) > 0) {
                    // read until the range is full
                }
                byte[] expected = java.util.Arrays.copyOfRange(want, off, off + len);
                assertArrayEquals(expected, buf.array(), p + " at " + off);
            }
        }
        return paths.size();
    }
}
