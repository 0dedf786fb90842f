package io.jstargz.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jstargz.cache.ChunkCache;
import io.jstargz.cache.ChunkCacheConfig;
import io.jstargz.fs.LayerProgress.Phase;
import io.jstargz.remote.BlobContent;
import io.jstargz.remote.ImageReference;
import io.jstargz.remote.RegistryClient;
import io.jstargz.remote.RegistryConfig;
import io.jstargz.remote.auth.CredentialStore;
import io.jstargz.testing.RegistryServer;
import io.jstargz.testing.TcpProxy;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Layers mounted from a real registry (docker-registry on 127.0.0.1), including one that goes away mid-read. */
class RegistryLayerMountTest {
    private static final String REPO = "jstargz/layers";
    private static RegistryServer registry;
    private static TcpProxy proxy;
    private static RegistryClient client;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() throws IOException {
        registry = RegistryServer.start();
        proxy = new TcpProxy(registry.port());
        // a small retry budget, so a registry that is gone fails a read in seconds
        RegistryConfig config = RegistryConfig.builder().hostsDir(Path.of("/nonexistent-hosts-dir"))
                .connectTimeout(Duration.ofSeconds(1)).readTimeout(Duration.ofSeconds(2))
                .requestTimeout(Duration.ofSeconds(5)).maxRetries(2).retryMaxElapsed(Duration.ofSeconds(3))
                .checkInterval(Duration.ZERO).build();
        client = RegistryClient.create(config, CredentialStore.ANONYMOUS);
    }

    @AfterAll
    static void stop() throws IOException {
        client.close();
        proxy.close();
        registry.close();
    }

    private static ImageReference repo(String host) {
        return ImageReference.parse(host + "/" + REPO);
    }

    private LayerMount mountFromRegistry(String host, Path blob, ChunkCache cache, LayerMountOptions options)
            throws IOException {
        return mountFromRegistry(client, host, blob, cache, options);
    }

    private LayerMount mountFromRegistry(RegistryClient from, String host, Path blob, ChunkCache cache,
                                         LayerMountOptions options) throws IOException {
        BlobContent content = BlobContent.of(blob);
        from.pushBlob(repo(host), content, null);
        LayerMount m = LayerMount.open(new LayerIdentity(repo(host).toString(), content.digest().toString()),
                from.openBlob(repo(host), content.digest(), content.size()), cache, options);
        try {
            m.mount(Files.createDirectories(tmp.resolve("mnt")));
        } catch (IOException | RuntimeException e) {
            m.close();
            throw e;
        }
        return m;
    }

    @ParameterizedTest
    @ValueSource(strings = {LocalLayerMountTest.PRIO, LocalLayerMountTest.DEFAULT,
            "small1-default-legacyfooter.stargz"})
    void everyEntryMatchesTheReferenceListing(String vector) throws Exception {
        Path blob = ReferenceListing.TESTDATA.resolve(vector);
        try (ChunkCache cache = ChunkCache.open(ChunkCacheConfig.defaults(tmp.resolve("cache")));
             LayerMount m = mountFromRegistry(registry.host(), blob, cache, LayerMountOptions.defaults())) {
            ListingCheck.assertMatches(m.mountPoint(), m.filesystem(), ReferenceListing.of(vector));
            m.backgroundFetchDone().get(60, TimeUnit.SECONDS);
            assertEquals(Phase.DONE, m.progress().backgroundFetch());
            assertEquals(m.progress().layerSize(), m.progress().fetchedBytes());
            m.check();
        }
    }

    @Test
    void registryGoneMidReadGivesEioThenReadsWorkWhenItIsBack() throws Exception {
        TestLayers.Layer layer = TestLayers.random(tmp.resolve("layer"), 3, 4 << 20, 64 * 1024, 7);
        String big = bigFile(layer);
        byte[] want = layer.contents().get(big);
        LayerMountOptions onDemand = LayerMountOptions.builder().prefetch(false).backgroundFetch(false).build();
        try (ChunkCache cache = ChunkCache.open(ChunkCacheConfig.defaults(tmp.resolve("cache")));
             LayerMount m = mountFromRegistry(proxy.host(), layer.blob(), cache, onDemand);
             FileChannel file = FileChannel.open(m.mountPoint().resolve(big))) {
            assertArrayEquals(Arrays.copyOfRange(want, 0, 65536), read(file, 0, 65536));
            m.check();

            proxy.down();
            long far = want.length - 200_000;
            IOException e = assertThrows(IOException.class, () -> read(file, far, 65536));
            assertTrue(e.getMessage().contains("Input/output error"), e.getMessage());
            assertThrows(IOException.class, m::check, "check sees the registry is gone");
            assertTrue(m.progress().failedReads() >= 1);

            proxy.up();
            assertArrayEquals(Arrays.copyOfRange(want, (int) far, (int) far + 65536), read(file, far, 65536));
            assertArrayEquals(want, Files.readAllBytes(m.mountPoint().resolve(big)));
            m.check();
        } finally {
            proxy.up();
        }
    }

    /**
     * A registry that accepts requests and then answers nothing (0: not even headers) or stops mid-body: the read gets
     * EIO within the read bound, although the client's silence and request timeouts are the daemon's long defaults;
     * the kernel's re-read that follows fails at once without a new request; once the registry answers again, reads
     * are served on fresh connections.
     */
    @ParameterizedTest
    @ValueSource(longs = {0, 1000})
    void stalledRegistryGivesEioWithinTheReadBoundThenReadsWork(long stallAfterBytes) throws Exception {
        TestLayers.Layer layer = TestLayers.random(tmp.resolve("layer"), 3, 4 << 20, 64 * 1024, 11);
        String big = bigFile(layer);
        byte[] want = layer.contents().get(big);
        Duration bound = Duration.ofSeconds(3);
        LayerMountOptions onDemand = LayerMountOptions.builder().prefetch(false).backgroundFetch(false)
                .readTimeout(bound).build();
        RegistryConfig defaults = withoutHostsDir();
        try (RegistryClient patient = RegistryClient.create(defaults, CredentialStore.ANONYMOUS);
             ChunkCache cache = ChunkCache.open(ChunkCacheConfig.defaults(tmp.resolve("cache")));
             LayerMount m = mountFromRegistry(patient, proxy.host(), layer.blob(), cache, onDemand);
             FileChannel file = FileChannel.open(m.mountPoint().resolve(big))) {
            assertArrayEquals(Arrays.copyOfRange(want, 0, 65536), read(file, 0, 65536));

            proxy.stall(stallAfterBytes);
            long far = want.length - 200_000;
            long start = System.nanoTime();
            IOException e = assertThrows(IOException.class, () -> read(file, far, 65536));
            long tookMs = (System.nanoTime() - start) / 1_000_000;
            assertTrue(e.getMessage().contains("Input/output error"), e.getMessage());
            // generous: the bound is 3 s; the client's own silence timeout (30 s) must not be what ended it
            assertTrue(tookMs < defaults.readTimeout().toMillis() / 2, "the stalled read took " + tookMs + " ms");
            long requests = m.progress().requests();
            assertThrows(IOException.class, () -> read(file, far, 4096), "the re-read fails as the read did");
            assertEquals(requests, m.progress().requests(), "the re-read did not fetch again");

            proxy.up();
            long other = 1 << 20;
            assertArrayEquals(Arrays.copyOfRange(want, (int) other, (int) other + 65536), read(file, other, 65536));
        } finally {
            proxy.up();
        }
    }

    /**
     * A connection that stalls (before the headers, or mid-body) while a fresh one would be answered: the read's
     * first attempt is abandoned at half the read bound and a retry on a fresh connection serves it, with correct
     * bytes and no EIO.
     */
    @ParameterizedTest
    @ValueSource(longs = {0, 1000})
    void aStalledConnectionIsAbandonedForAFreshOne(long stallAfterBytes) throws Exception {
        TestLayers.Layer layer = TestLayers.random(tmp.resolve("layer"), 3, 4 << 20, 64 * 1024, 11);
        String big = bigFile(layer);
        byte[] want = layer.contents().get(big);
        LayerMountOptions onDemand = LayerMountOptions.builder().prefetch(false).backgroundFetch(false)
                .readTimeout(Duration.ofSeconds(8)).build();
        RegistryConfig defaults = withoutHostsDir();
        try (RegistryClient patient = RegistryClient.create(defaults, CredentialStore.ANONYMOUS);
             ChunkCache cache = ChunkCache.open(ChunkCacheConfig.defaults(tmp.resolve("cache")));
             LayerMount m = mountFromRegistry(patient, proxy.host(), layer.blob(), cache, onDemand);
             FileChannel file = FileChannel.open(m.mountPoint().resolve(big))) {
            assertArrayEquals(Arrays.copyOfRange(want, 0, 65536), read(file, 0, 65536));

            proxy.stallOpenConnections(stallAfterBytes);
            long far = want.length - 200_000;
            assertArrayEquals(Arrays.copyOfRange(want, (int) far, (int) far + 65536), read(file, far, 65536));
            proxy.awaitHeld(Duration.ZERO); // the first attempt went to the stalled connection
        } finally {
            proxy.up();
        }
    }

    private static byte[] read(FileChannel file, long offset, int length) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(length);
        while (buf.hasRemaining()) {
            if (file.read(buf, offset + buf.position()) < 0) {
                break;
            }
        }
        return Arrays.copyOf(buf.array(), buf.position());
    }

    /** A file of {@code layer} larger than 3 MiB: reads far into it need fetches of their own. */
    private static String bigFile(TestLayers.Layer layer) {
        return layer.contents().entrySet().stream().filter(e -> e.getValue().length > 3 << 20)
                .map(java.util.Map.Entry::getKey).findFirst().orElseThrow();
    }

    /** The client's defaults, with no hosts.toml directory and no waiting between host checks. */
    private static RegistryConfig withoutHostsDir() {
        return RegistryConfig.builder().hostsDir(Path.of("/nonexistent-hosts-dir")).checkInterval(Duration.ZERO)
                .build();
    }
}
