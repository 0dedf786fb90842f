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
import io.jstargz.estargz.EstargzReader;
import io.jstargz.estargz.FileBlobSource;
import io.jstargz.estargz.LayerIndex;
import io.jstargz.estargz.OpenOptions;
import io.jstargz.remote.BlobContent;
import io.jstargz.remote.ImageReference;
import io.jstargz.remote.RegistryClient;
import io.jstargz.remote.RegistryConfig;
import io.jstargz.remote.auth.CredentialStore;
import io.jstargz.testing.LayerBuilder;
import io.jstargz.testing.RegistryServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cold read of a small file brings the small files stored after it in its directory in the same request, within
 * the budget: through real FUSE mounts of a layer in a real registry (requests counted in its access log).
 */
class NeighbourFetchTest {
    private static final String REPO = "jstargz/neighbours";
    /** Small files of one directory, in blob order, then a big file split into chunks, then more small files. */
    private static final int SMALL = 12;
    private static final int CHUNK = 64 * 1024;

    private static RegistryServer registry;
    private static RegistryClient client;
    private static ImageReference repo;
    private static TestLayers.Layer layer;
    private static BlobContent blob;

    @TempDir
    static Path shared;
    @TempDir
    Path tmp;
    private ChunkCache cache;
    private LayerIndex index;

    @BeforeAll
    static void pushLayer() throws IOException {
        Random random = new Random(11);
        Map<String, byte[]> contents = new LinkedHashMap<>();
        for (int i = 0; i < SMALL; i++) {
            contents.put(String.format("pkg/m%02d.pyc", i), content(random, 3000 + random.nextInt(4000)));
        }
        contents.put("pkg/n00-big.so", new byte[3 * CHUNK + 100]); // zeros: its chunks' spans are tiny
        contents.put("pkg/n01.pyc", content(random, 4000));
        contents.put("pkg/n02-large.so", content(random, 40_000));
        contents.put("pkg/n03.pyc", content(random, 4000));
        contents.put("other/o00.pyc", content(random, 4000));
        LayerBuilder b = new LayerBuilder();
        contents.forEach((path, data) -> b.file(path, data, 0644));
        layer = TestLayers.convert(shared.resolve("layer"), b, contents, CHUNK, List.of());
        registry = RegistryServer.start();
        client = RegistryClient.create(RegistryConfig.builder().hostsDir(Path.of("/nonexistent-hosts-dir")).build(),
                CredentialStore.ANONYMOUS);
        repo = ImageReference.parse(registry.host() + "/" + REPO);
        blob = BlobContent.of(layer.blob());
        client.pushBlob(repo, blob, null);
    }

    /** Half random, half compressible: spans of a few KiB that differ in size. */
    private static byte[] content(Random random, int size) {
        byte[] data = new byte[size];
        random.nextBytes(data);
        for (int j = 0; j < size; j += 2) {
            data[j] = (byte) (j % 7);
        }
        return data;
    }

    @AfterAll
    static void stop() throws IOException {
        client.close();
        registry.close();
    }

    @BeforeEach
    void openCache() throws IOException {
        cache = ChunkCache.open(ChunkCacheConfig.defaults(tmp.resolve("cache")));
        try (FileBlobSource file = FileBlobSource.open(layer.blob())) {
            index = EstargzReader.open(file, OpenOptions.defaults("neighbours"));
        }
    }

    @AfterEach
    void closeCache() {
        cache.close();
    }

    private Chunk first(String path) {
        return index.lookup(path).orElseThrow().chunks().get(0);
    }

    private long span(String path) {
        return first(path).spanLength();
    }

    private static String small(int i) {
        return String.format("pkg/m%02d.pyc", i);
    }

    private boolean cached(String path) {
        return cache.contains(CacheKey.ofDigest(first(path).digest()));
    }

    private LayerMount mount(long neighbourBytes) throws IOException {
        LayerMountOptions options = LayerMountOptions.builder().prefetch(false).backgroundFetch(false)
                .neighbourBytes(neighbourBytes).build();
        LayerMount m = LayerMount.open(new LayerIdentity(repo.toString(), blob.digest().toString()),
                client.openBlob(repo, blob.digest(), blob.size()), cache, options);
        try {
            m.mount(Files.createDirectories(tmp.resolve("mnt")));
        } catch (IOException | RuntimeException e) {
            m.close();
            throw e;
        }
        return m;
    }

    /**
     * Reads a file through the mount, checks its content, and returns the registry requests the read caused: as many
     * as the mount says it made, once the registry has logged them, and any more the registry logged by then.
     */
    private int readAndCount(LayerMount m, String path) throws IOException {
        long made = m.progress().requests();
        int mark = registry.accessLogMark();
        assertArrayEquals(layer.contents().get(path), Files.readAllBytes(m.mountPoint().resolve(path)), path);
        registry.syncAccessLog();
        return registry.accessLog().awaitSince(mark, (int) (m.progress().requests() - made), Duration.ofSeconds(30))
                .size();
    }

    @Test
    void aColdReadBringsTheFollowingSmallFilesInTheSameRequestWithinTheBudget() throws Exception {
        // the budget holds m01..m03 whole, not m04
        long budget = span(small(1)) + span(small(2)) + span(small(3)) + span(small(4)) / 2;
        try (LayerMount m = mount(budget)) {
            assertEquals(1, readAndCount(m, small(0)), "one request for m00 and its neighbours");
            for (int i = 1; i <= 3; i++) {
                assertEquals(0, readAndCount(m, small(i)), small(i) + " came with m00");
            }
            LayerProgress p = m.progress();
            assertEquals(1, p.requests());
            assertEquals(span(small(0)), p.onDemandBytes());
            assertEquals(span(small(1)) + span(small(2)) + span(small(3)), p.neighbourBytes());
            assertTrue(p.neighbourBytes() <= budget);
            assertFalse(cached(small(4)), "m04 did not fit in the budget");
            assertEquals(1, readAndCount(m, small(4)), "m04 needs its own request");
            assertEquals(0, m.progress().failedReads());
        }
    }

    @Test
    void theWalkStopsAtASpanAlreadyCached() throws Exception {
        try (LayerMount m = mount(span(small(1)) + span(small(2)) + span(small(3)))) {
            assertEquals(1, readAndCount(m, small(2)));
            long before = m.progress().neighbourBytes();
            assertEquals(1, readAndCount(m, small(0)));
            assertEquals(0, readAndCount(m, small(1)));
            assertEquals(span(small(1)), m.progress().neighbourBytes() - before,
                    "m00 brought m01 and stopped at m02, which was cached");
        }
    }

    @Test
    void bigFilesOtherDirectoriesAndFilesLargerThanTheBudgetBringNoNeighbours() throws Exception {
        long budget = 3 * span("pkg/n01.pyc");
        assertTrue(span(small(SMALL - 1)) <= budget && first("pkg/n00-big.so").spanLength() <= budget);
        assertTrue(span("pkg/n02-large.so") > budget);
        try (LayerMount m = mount(budget)) {
            assertEquals(1, readAndCount(m, small(SMALL - 1)));
            assertEquals(0, m.progress().neighbourBytes(), "the next file is split into chunks");
            assertFalse(cached("pkg/n00-big.so"));

            assertEquals(1, readAndCount(m, "pkg/n01.pyc"));
            assertEquals(0, m.progress().neighbourBytes(), "n02-large.so does not fit in the budget");

            assertEquals(1, readAndCount(m, "pkg/n02-large.so"));
            assertEquals(0, m.progress().neighbourBytes(), "a file larger than the budget brings no neighbours");
            assertFalse(cached("pkg/n03.pyc"));

            assertEquals(1, readAndCount(m, "pkg/n03.pyc"));
            assertEquals(0, m.progress().neighbourBytes(), "o00.pyc is in another directory");
            assertEquals(1, readAndCount(m, "other/o00.pyc"));
        }
    }

    @Test
    void aBudgetOfZeroFetchesOnlyWhatReadsNeed() throws Exception {
        try (LayerMount m = mount(0)) {
            assertEquals(1, readAndCount(m, small(0)));
            assertEquals(1, readAndCount(m, small(1)));
            assertEquals(0, m.progress().neighbourBytes());
            assertEquals(span(small(0)) + span(small(1)), m.progress().onDemandBytes());
            assertFalse(cached(small(2)));
        }
    }

    @Test
    void aCorruptNeighbourIsNeitherCachedNorServedAndTheFileReadIsUnharmed() throws Exception {
        Chunk bad = first(small(2));
        long middle = bad.blobOffset() + bad.spanLength() / 2;
        LayerMountOptions options = LayerMountOptions.builder().prefetch(false).backgroundFetch(false)
                .neighbourBytes(span(small(1)) + span(small(2)) + span(small(3))).build();
        try (FileBlobSource file = FileBlobSource.open(layer.blob());
             LayerMount m = LayerMount.open(LayerIdentity.ofFile(layer.blob()),
                     new CorruptingBlobSource(file, middle, middle + 16), cache, options)) {
            m.mount(Files.createDirectories(tmp.resolve("mnt")));
            Path root = m.mountPoint();
            assertArrayEquals(layer.contents().get(small(0)), Files.readAllBytes(root.resolve(small(0))));
            assertArrayEquals(layer.contents().get(small(1)), Files.readAllBytes(root.resolve(small(1))));
            assertArrayEquals(layer.contents().get(small(3)), Files.readAllBytes(root.resolve(small(3))));
            IOException e = assertThrows(IOException.class, () -> Files.readAllBytes(root.resolve(small(2))));
            assertTrue(e.getMessage().contains("Input/output error"), e.getMessage());
            assertFalse(cached(small(2)), "unverified bytes are never cached");
            assertTrue(cached(small(1)) && cached(small(3)), "the neighbours that verified were cached");
            assertEquals(span(small(1)) + span(small(2)) + span(small(3)), m.progress().neighbourBytes());
            assertTrue(m.progress().failedReads() >= 1);
        }
    }
}
