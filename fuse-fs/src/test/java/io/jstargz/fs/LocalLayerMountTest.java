package io.jstargz.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jstargz.cache.CacheKey;
import io.jstargz.cache.ChunkCache;
import io.jstargz.cache.ChunkCacheConfig;
import io.jstargz.concurrent.BackgroundGate;
import io.jstargz.estargz.BlobFormat;
import io.jstargz.estargz.Chunk;
import io.jstargz.estargz.ConvertOptions;
import io.jstargz.estargz.Digests;
import io.jstargz.estargz.FileBlobSource;
import io.jstargz.estargz.ForwardingBlob;
import io.jstargz.estargz.LayerConverter;
import io.jstargz.estargz.RemoteBlob;
import io.jstargz.fs.LayerProgress.Phase;
import io.jstargz.fs.binding.OperationStats;
import io.jstargz.mount.MountTable;
import io.jstargz.testing.LayerBuilder;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Every test vector mounted from a local file through real FUSE, compared with the reference reader's view. */
class LocalLayerMountTest {
    static final String PRIO = "small1-chunk64k-prio.esgz";
    static final String DEFAULT = "small1-default.esgz";

    @TempDir
    Path tmp;
    private ChunkCache cache;

    @BeforeEach
    void openCache() throws IOException {
        cache = ChunkCache.open(ChunkCacheConfig.defaults(tmp.resolve("cache")));
    }

    @AfterEach
    void closeCache() {
        cache.close();
    }

    private LayerMount mount(String vector, LayerMountOptions options) throws IOException {
        Path blob = ReferenceListing.TESTDATA.resolve(vector);
        LayerMount m = LayerMount.open(LayerIdentity.ofFile(blob), FileBlobSource.open(blob), cache, options);
        Path mp = Files.createDirectories(tmp.resolve("mnt-" + vector));
        try {
            m.mount(mp);
        } catch (IOException | RuntimeException e) {
            m.close();
            throw e;
        }
        return m;
    }

    @ParameterizedTest
    @ValueSource(strings = {PRIO, DEFAULT, "small1-default-legacyfooter.stargz", "small1-chunk64k-crfs.stargz"})
    void everyEntryMatchesTheReferenceListing(String vector) throws Exception {
        List<ReferenceListing.Item> listing = ReferenceListing.of(vector);
        try (LayerMount m = mount(vector, LayerMountOptions.defaults())) {
            Path root = m.mountPoint();
            assertEquals("fuse.jstargz", MountTable.at(root).orElseThrow().fsType());
            int compared = ListingCheck.assertMatches(root, m.filesystem(), listing);
            assertTrue(compared > 50, "compared " + compared + " paths");
            assertEquals(0, m.progress().failedReads());
            m.check();
        }
    }

    @ParameterizedTest
    @CsvSource({"estargz, 16384", "zstd:chunked, 0", "zstd:chunked, 16384"})
    void zstdChunkedAndPackedLayersMountWithTheReferenceListing(String format, int minChunkSize) throws Exception {
        Path blob = tmp.resolve("small1-" + format.replace(':', '-') + "-" + minChunkSize);
        ConvertOptions options = ConvertOptions.defaults().withFormat(format.equals("estargz") ? BlobFormat.ESTARGZ
                : BlobFormat.ZSTD_CHUNKED).withMinChunkSize(minChunkSize);
        try (OutputStream out = Files.newOutputStream(blob)) {
            new LayerConverter(options).convert(ReferenceListing.TESTDATA.resolve("small1.tar"), out);
        }
        try (LayerMount m = LayerMount.open(LayerIdentity.ofFile(blob), FileBlobSource.open(blob), cache,
                LayerMountOptions.defaults())) {
            m.mount(Files.createDirectories(tmp.resolve("mnt-" + blob.getFileName())));
            assertEquals(format, m.index().format().name());
            int compared = ListingCheck.assertMatches(m.mountPoint(), m.filesystem(), ReferenceListing.of(DEFAULT));
            assertTrue(compared > 50, "compared " + compared + " paths");
            assertEquals(0, m.progress().failedReads());
        }
    }

    @Test
    void inodesAreStableAndHardlinksShareOne() throws Exception {
        try (LayerMount m = mount(DEFAULT, LayerMountOptions.defaults())) {
            Path root = m.mountPoint();
            Object big = Files.getAttribute(root.resolve("usr/lib/big.bin"), "unix:ino");
            assertEquals(big, Files.getAttribute(root.resolve("usr/lib/big-link.bin"), "unix:ino"));
            assertEquals(2, Files.getAttribute(root.resolve("usr/lib/big.bin"), "unix:nlink"));
            assertNotEquals(big, Files.getAttribute(root.resolve("bin/app"), "unix:ino"));
            assertEquals(1L, Files.getAttribute(root, "unix:ino"));
            long ino = m.index().lookup("bin/app").orElseThrow().inode();
            assertEquals(ino, Files.getAttribute(root.resolve("bin/app"), "unix:ino"));
            FileStore store = Files.getFileStore(root);
            assertTrue(store.isReadOnly());
            assertTrue(store.getTotalSpace() >= 300001, "statfs counts the file bytes: " + store.getTotalSpace());
            assertThrows(IOException.class, () -> Files.writeString(root.resolve("bin/app"), "x"));
            assertThrows(IOException.class, () -> Files.createDirectory(root.resolve("newdir")));
        }
    }

    @Test
    void prefetchFillsTheCacheWithThePrioritizedFilesInOneRequest() throws Exception {
        LayerMountOptions noBackground = LayerMountOptions.builder().backgroundFetch(false).build();
        try (LayerMount m = mount(PRIO, noBackground)) {
            m.prefetchDone().get(30, TimeUnit.SECONDS);
            LayerProgress p = m.progress();
            assertEquals(Phase.DONE, p.prefetch());
            assertEquals(Phase.DISABLED, p.backgroundFetch());
            assertEquals(m.index().prefetchEnd().orElseThrow(), p.prefetchSize());
            assertEquals(1, p.requests(), "the prioritized region is one request");
            assertTrue(p.prefetchedBytes() > 0 && p.prefetchedBytes() <= p.prefetchSize());
            // the builder put these two before the landmark
            for (String prioritized : List.of("bin/app", "etc/passwd")) {
                assertTrue(isCached(m, prioritized), prioritized + " is cached");
            }
            assertFalse(isCached(m, "usr/lib/big.bin"), "a file after the landmark is not prefetched");
            assertTrue(p.fetchedBytes() < p.layerSize(), "the rest is not fetched");
            ListingCheck.sha256(m.mountPoint().resolve("bin/app"));
            ListingCheck.sha256(m.mountPoint().resolve("etc/passwd"));
            assertEquals(1, m.progress().requests(), "reading prefetched files fetches nothing");
        }
    }

    /**
     * A container may start once the prefetch has claimed what it has yet to bring, before its stream ends: a read of a
     * prefetched file then waits for the stream, and fetches nothing again.
     */
    @Test
    void aReadOfAClaimedPrefetchSpanWaitsForTheStream() throws Exception {
        Path blob = ReferenceListing.TESTDATA.resolve(PRIO);
        AtomicBoolean hold = new AtomicBoolean();
        CountDownLatch release = new CountDownLatch(1);
        RemoteBlob held = new ForwardingBlob(FileBlobSource.open(blob)) {
            @Override
            public byte[] read(long offset, int length) throws IOException {
                try {
                    if (hold.get() && !release.await(30, TimeUnit.SECONDS)) {
                        throw new IOException("the test never released the stream");
                    }
                } catch (InterruptedException e) {
                    throw new InterruptedIOException();
                }
                return super.read(offset, length);
            }
        };
        LayerMountOptions noBackground = LayerMountOptions.builder().backgroundFetch(false).build();
        try (LayerMount m = LayerMount.open(LayerIdentity.ofFile(blob), held, cache, noBackground)) {
            hold.set(true);
            m.mount(Files.createDirectories(tmp.resolve("mnt-held")));
            m.prefetchClaimed().get(30, TimeUnit.SECONDS);
            assertFalse(m.prefetchDone().isDone(), "the prefetch's stream is held");
            CompletableFuture<String> read = CompletableFuture.supplyAsync(() -> {
                try {
                    return ListingCheck.sha256(m.mountPoint().resolve("bin/app"));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            assertThrows(TimeoutException.class, () -> read.get(200, TimeUnit.MILLISECONDS),
                    "the read waits for the held stream");
            release.countDown();
            String expected = ReferenceListing.of(PRIO).stream().filter(i -> i.name().equals("bin/app")).findFirst()
                    .orElseThrow().sha256();
            assertEquals(expected, read.get(30, TimeUnit.SECONDS));
            m.prefetchDone().get(30, TimeUnit.SECONDS);
            assertEquals(1, m.progress().requests(), "the read took its bytes from the prefetch's one request");
        }
    }

    /**
     * A prefetch region of many MiB (the jdk image's is 56): its first 4 MiB go through the memory tier, what a
     * container reads first; the rest goes to disk only, decoded by several threads; every byte reads back right, with
     * no request beyond the prefetch's one.
     */
    @Test
    void aLargePrefetchKeepsOnlyItsStartInMemoryAndReadsBackWhole() throws Exception {
        byte[] big = new byte[10 << 20];
        new Random(7).nextBytes(big);
        TestLayers.Layer layer = TestLayers.convert(tmp.resolve("big"), new LayerBuilder()
                .file("big.bin", big, 0644).file("after.txt", "not prefetched\n"), Map.of(), 1 << 20,
                List.of("big.bin"));
        LayerMountOptions noBackground = LayerMountOptions.builder().backgroundFetch(false).build();
        try (LayerMount m = LayerMount.open(LayerIdentity.ofFile(layer.blob()), FileBlobSource.open(layer.blob()),
                cache, noBackground)) {
            m.mount(Files.createDirectories(tmp.resolve("mnt-big")));
            m.prefetchDone().get(30, TimeUnit.SECONDS);
            List<Chunk> chunks = m.index().lookup("big.bin").orElseThrow().chunks();
            assertEquals(10, chunks.size());
            long start = chunks.get(0).blobOffset();
            for (Chunk c : chunks) {
                CacheKey key = CacheKey.ofDigest(c.digest());
                if (c.blobOffset() - start < 4 << 20) {
                    assertTrue(cache.getIfInMemory(key).isPresent(), "a chunk in the first 4 MiB is in memory");
                } else {
                    assertFalse(cache.getIfInMemory(key).isPresent(), "a chunk beyond 4 MiB is not in memory");
                    assertTrue(cache.isOnDiskWhole(key), "a chunk beyond 4 MiB is on disk");
                }
            }
            assertEquals(Digests.hex(Digests.sha256().digest(big)),
                    ListingCheck.sha256(m.mountPoint().resolve("big.bin")));
            assertEquals(1, m.progress().requests(), "the whole file came from the prefetch's one request");
        }
    }

    /** A span of the prefetch that does not verify is not cached, and the prefetch goes on with the others. */
    @Test
    void aPrefetchedSpanThatDoesNotVerifyIsNotCachedAndTheOthersAre() throws Exception {
        Path blob = ReferenceListing.TESTDATA.resolve(PRIO);
        LayerMountOptions noBackground = LayerMountOptions.builder().backgroundFetch(false).build();
        Chunk bad;
        try (LayerMount probe = LayerMount.open(LayerIdentity.ofFile(blob), FileBlobSource.open(blob), cache,
                LayerMountOptions.builder().prefetch(false).backgroundFetch(false).build())) {
            bad = probe.index().lookup("bin/app").orElseThrow().chunks().get(0);
        }
        long middle = bad.blobOffset() + bad.spanLength() / 2;
        try (LayerMount m = LayerMount.open(LayerIdentity.ofFile(blob),
                new CorruptingBlobSource(FileBlobSource.open(blob), middle, middle + 16), cache, noBackground)) {
            m.startFetching();
            m.prefetchDone().get(30, TimeUnit.SECONDS);
            assertEquals(Phase.DONE, m.progress().prefetch());
            assertFalse(cache.contains(CacheKey.ofDigest(bad.digest())), "unverified bytes are never cached");
            assertTrue(isCached(m, "etc/passwd"), "the other prioritized file is cached");
            assertEquals(1, m.progress().requests(), "the prioritized region is one request");
        }
    }

    private boolean isCached(LayerMount m, String path) {
        return m.index().lookup(path).orElseThrow().chunks().stream()
                .allMatch(c -> cache.contains(CacheKey.ofDigest(c.digest())));
    }

    @Test
    void backgroundFetchMakesTheWholeLayerLocal() throws Exception {
        try (LayerMount m = mount(DEFAULT, LayerMountOptions.defaults())) {
            m.backgroundFetchDone().get(60, TimeUnit.SECONDS);
            LayerProgress p = m.progress();
            assertEquals(Phase.DISABLED, p.prefetch(), "no prioritized region (.no.prefetch.landmark)");
            assertEquals(Phase.DONE, p.backgroundFetch());
            assertEquals(p.layerSize(), p.fetchedBytes());
            assertEquals(100.0, p.fetchedPercent());
            long requests = p.requests();
            ListingCheck.assertMatches(m.mountPoint(), m.filesystem(), ReferenceListing.of(DEFAULT));
            assertEquals(requests, m.progress().requests(), "every read is a cache hit");
        }
    }

    @Test
    void aFullyFetchedFileGetsALocalCopyForPassthroughThatGoesWithTheMount() throws Exception {
        Path copies = tmp.resolve("copies");
        LayerMountOptions options = LayerMountOptions.builder().passthroughDir(copies).build();
        Path copy;
        try (LayerMount m = mount(DEFAULT, options)) {
            m.backgroundFetchDone().get(60, TimeUnit.SECONDS);
            Path file = m.mountPoint().resolve("usr/lib/big.bin");
            String expected = ListingCheck.sha256(file);
            copy = m.passthroughCopy("usr/lib/big.bin").get(30, TimeUnit.SECONDS);
            assertTrue(copy.startsWith(copies), copy.toString());
            assertEquals(expected, ListingCheck.sha256(copy));
            assertEquals(expected, ListingCheck.sha256(file), "read again, through the copy on the kernel binding");
            assertEquals(copy, m.passthroughCopy("usr/lib/big-link.bin").get(30, TimeUnit.SECONDS),
                    "hardlinks share one copy");
        }
        assertFalse(Files.exists(copy), "the copies go with the mount");
    }

    @Test
    void aCopyWaitsForTheBackgroundGate() throws Exception {
        CountDownLatch asked = new CountDownLatch(1);
        CountDownLatch open = new CountDownLatch(1);
        BackgroundGate gate = unless -> {
            asked.countDown();
            open.await();
        };
        Path copies = tmp.resolve("copies");
        LayerMountOptions options = LayerMountOptions.builder().prefetch(false).backgroundFetch(false)
                .backgroundGate(gate).passthroughDir(copies).build();
        try (LayerMount m = mount(DEFAULT, options)) {
            String expected = ListingCheck.sha256(m.mountPoint().resolve("usr/lib/big.bin"));
            CompletableFuture<Path> copy = m.passthroughCopy("usr/lib/big.bin");
            assertTrue(asked.await(30, TimeUnit.SECONDS), "the copy asks the gate");
            assertFalse(copy.isDone(), "no copy while the gate is closed");
            assertEquals(List.of(), regularFilesUnder(copies), "nothing written while it is closed");
            open.countDown();
            assertEquals(expected, ListingCheck.sha256(copy.get(30, TimeUnit.SECONDS)));
        }
    }

    private static List<Path> regularFilesUnder(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).toList();
        }
    }

    @Test
    void aFileNotAllLocalGetsNoCopy() throws Exception {
        LayerMountOptions off = LayerMountOptions.builder().prefetch(false).backgroundFetch(false)
                .passthroughDir(tmp.resolve("copies")).build();
        try (LayerMount m = mount(DEFAULT, off)) {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> m.passthroughCopy("usr/lib/big.bin").get(30, TimeUnit.SECONDS));
            assertTrue(e.getCause().getMessage().contains("not all local"), e.getCause().getMessage());
            assertEquals(0, m.progress().requests(), "asking for a copy fetches nothing");
        }
    }

    @Test
    void withBothOffNothingIsFetchedUntilRead() throws Exception {
        LayerMountOptions off = LayerMountOptions.builder().prefetch(false).backgroundFetch(false).build();
        try (LayerMount m = mount(PRIO, off)) {
            m.backgroundFetchDone().get(30, TimeUnit.SECONDS);
            LayerProgress p = m.progress();
            assertEquals(Phase.DISABLED, p.prefetch());
            assertEquals(Phase.DISABLED, p.backgroundFetch());
            assertEquals(0, p.requests());
            ListingCheck.sha256(m.mountPoint().resolve("bin/app"));
            assertEquals(1, m.progress().requests());
            assertTrue(m.progress().onDemandBytes() > 0);
        }
    }

    @Test
    void accessListenerHearsEachFileOnceInFirstOpenOrder() throws Exception {
        List<String> opened = new CopyOnWriteArrayList<>();
        LayerMountOptions options = LayerMountOptions.builder().prefetch(false).backgroundFetch(false)
                .accessListener(opened::add).build();
        try (LayerMount m = mount(DEFAULT, options)) {
            Path root = m.mountPoint();
            for (String f : List.of("etc/passwd", "bin/app", "etc/passwd", "usr/lib/big.bin", "bin/app")) {
                Files.readAllBytes(root.resolve(f));
            }
            Files.readAttributes(root.resolve("etc/empty"), "unix:*"); // a stat is not an access
            assertEquals(List.of("etc/passwd", "bin/app", "usr/lib/big.bin"), opened);
        }
    }

    @Test
    void fuseRequestsAreCountedByOperationWithTheTimeTheirHandlersTook() throws Exception {
        LayerMount m = mount(DEFAULT, LayerMountOptions.builder().prefetch(false).backgroundFetch(false).build());
        Path root = m.mountPoint();
        try (m) {
            Map<String, OperationStats.Totals> before = m.operations();
            for (String f : List.of("etc/passwd", "bin/app", "etc/passwd")) {
                Files.readAllBytes(root.resolve(f));
            }
            try (Stream<Path> etc = Files.list(root.resolve("etc"))) {
                assertTrue(etc.count() > 1);
            }
            Map<String, OperationStats.Totals> after = m.operations();
            assertEquals(3, count(after, "open") - count(before, "open"), "every open(2) is a request: " + after);
            assertTrue(count(after, "read") >= count(before, "read") + 2, after::toString);
            assertTrue(after.get("read").nanos() > 0, "a cold read takes time: " + after);
            assertEquals(1, count(after, "opendir") - count(before, "opendir"), after::toString);
            // the kernel binding lists with readdirplus and answers stats from lookups; libfuse 2 has neither
            assertTrue(count(after, "readdir") + count(after, "readdirplus")
                    > count(before, "readdir") + count(before, "readdirplus"), after::toString);
            assertTrue(count(after, "getattr") + count(after, "lookup") > 0, after::toString);
        }
        assertTrue(count(m.operations(), "read") >= 2, "the totals outlive the mount");
    }

    private static long count(Map<String, OperationStats.Totals> operations, String op) {
        OperationStats.Totals t = operations.get(op);
        return t == null ? 0 : t.count();
    }

    @Test
    void closeUnmountsAndCheckThenFails() throws Exception {
        LayerMount m = mount(DEFAULT, LayerMountOptions.defaults());
        Path root = m.mountPoint();
        m.check();
        m.close();
        assertTrue(m.unmounted().isDone());
        assertFalse(MountTable.at(root).isPresent());
        IOException e = assertThrows(IOException.class, m::check);
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }
}
