package io.jstargz.snapshotter;

import static io.jstargz.snapshotter.Rpc.fails;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.jstargz.remote.ImageReference;
import io.jstargz.remote.RegistryClient;
import io.jstargz.remote.RegistryConfig;
import io.jstargz.remote.auth.CredentialStore;
import io.jstargz.snapshotter.PushedLayers.Pushed;
import io.jstargz.snapshotter.config.Config;
import io.jstargz.snapshotter.config.ConfigLoader;
import io.jstargz.snapshotter.grpc.IntrospectionClient;
import io.jstargz.snapshotter.proto.types.Mount;
import io.jstargz.testing.LayerBuilder;
import io.jstargz.testing.RegistryServer;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon's root on a real 32 MiB filesystem (tmpfs; needs root), with a layer of 24 MiB that does not fit beside
 * the cache's 12 MiB watermark: the cache stops at the watermark, and when something else fills the filesystem to the
 * last byte, a restart on it gives the space back from the cache and serves the layer again with correct bytes, and
 * snapshots can still be prepared and removed on a full filesystem (the cache gives space back first).
 */
@SuppressWarnings("try") // daemons and clients kept open for a block
class FullDiskTest {
    private static final long MIN_FREE = 12L << 20;
    /** Files take whole pages; the watermark holds to within a chunk and the database's growth. */
    private static final long SLACK = 2L << 20;
    private static final byte[] A = new byte[12 << 20];
    private static final byte[] B = new byte[12 << 20];
    private static RegistryServer registry;
    private static RegistryClient client;
    private static Pushed layer;

    @TempDir
    Path tmp;
    private Path fs;

    @BeforeAll
    static void pushLayer() throws Exception {
        registry = RegistryServer.start();
        client = RegistryClient.create(RegistryConfig.builder().hostsDir(Path.of("/nonexistent")).build(),
                CredentialStore.ANONYMOUS);
        Random random = new Random(18);
        random.nextBytes(A);
        random.nextBytes(B);
        layer = PushedLayers.estargz(client, ImageReference.parse(registry.host() + "/full:1"),
                new LayerBuilder().file("data/a.bin", A, 0644).file("data/b.bin", B, 0644));
    }

    @AfterAll
    static void stopRegistry() throws Exception {
        client.close();
        registry.close();
    }

    @BeforeEach
    void mountSmallFilesystem() throws IOException {
        fs = Files.createDirectories(tmp.resolve("fs"));
        TestMounts.run("mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", fs.toString());
    }

    @AfterEach
    void unmount() throws IOException {
        TestMounts.run("umount", fs.toString());
    }

    private Config config() throws Exception {
        return config("");
    }

    /**
     * The daemon's configuration; its cache writes chunks as soon as no container starts (no quiet period), so that
     * once the cache has reached its watermark it holds what it can give back, not chunks still queued for a disk
     * that the test is about to fill.
     */
    private Config config(String topLevel) throws Exception {
        return ConfigLoader.parse("root = \"" + fs.resolve("root") + "\"\naddress = \"" + tmp.resolve("j.sock")
                + "\"\nwarm_up = false\n" + topLevel + "[cache]\nmin_free_bytes = " + MIN_FREE + "\nmin_free_percent = 0\n"
                + "[fetch]\nbackground_fetch = false\nbackground_quiet_seconds = 0\n"
                + "[registry]\nhosts_dir = \"" + tmp.resolve("no-hosts") + "\"\n",
                "test");
    }

    private Path mount(Mount m) throws IOException {
        Path target = Files.createTempDirectory(tmp, "rootfs");
        TestMounts.run("mount", "-t", m.getType(), m.getSource(), "-o", String.join(",", m.getOptionsList()),
                target.toString());
        return target;
    }

    private void readsCorrectBytes(Rpc rpc, String container) throws IOException {
        Path rootfs = mount(rpc.mounts(container).get(0));
        try {
            assertArrayEquals(A, Files.readAllBytes(rootfs.resolve("data/a.bin")));
            assertArrayEquals(B, Files.readAllBytes(rootfs.resolve("data/b.bin")));
        } finally {
            TestMounts.run("umount", rootfs.toString());
        }
    }

    private void fill(FileStore store, String name) throws IOException {
        try (OutputStream filler = Files.newOutputStream(fs.resolve(name))) {
            byte[] block = new byte[64 << 10];
            assertThrows(IOException.class, () -> {
                while (true) {
                    filler.write(block);
                    filler.flush();
                }
            });
        }
        assertTrue(store.getUsableSpace() < 1 << 20, store.getUsableSpace() + " bytes free");
    }

    /**
     * Waits until the cache, written to by a background thread, has reached its watermark: its first eviction for it
     * since {@code log} was made (24 MiB read through an 18 MiB room), so that it holds chunks it can give back.
     */
    private static void awaitCacheAtWatermark(LogWatch log) throws Exception {
        log.await(Duration.ofSeconds(60), "evicted", "leave 12.0 MiB free");
    }

    @Test
    void theCacheKeepsItsWatermarkAndAFullDiskIsNoOutage() throws Exception {
        Config config = config();
        FileStore store = Files.getFileStore(fs);
        Map<String, String> labels = Map.of("containerd.io/snapshot.ref", "sha256:c1",
                "containerd.io/snapshot/cri.image-ref", registry.host() + "/full:1",
                "containerd.io/snapshot/cri.layer-digest", layer.digest(),
                "containerd.io/snapshot/cri.image-layers", layer.digest(),
                "containerd.io/snapshot/stargz/toc.digest", layer.tocDigest());
        try (LogWatch log = new LogWatch(); Daemon d = Daemon.start(config);
             GrpcClient c = new GrpcClient(config.address())) {
            Rpc rpc = new Rpc(c.snapshots("default"));
            fails(Status.Code.ALREADY_EXISTS, () -> rpc.prepare("default/1/extract sha256:c1", "", labels));
            rpc.prepare("default/2/ctr", "sha256:c1");
            readsCorrectBytes(rpc, "default/2/ctr");
            awaitCacheAtWatermark(log);
            assertTrue(store.getUsableSpace() >= MIN_FREE - SLACK, store.getUsableSpace() + " bytes free");
        }

        // something else fills the filesystem to the last byte while the daemon is down: it starts
        fill(store, "filler1");
        try (Daemon d = Daemon.start(config); GrpcClient c = new GrpcClient(config.address())) {
            assertTrue(store.getUsableSpace() >= MIN_FREE - SLACK,
                    "the start evicted from the cache: " + store.getUsableSpace() + " bytes free");
            readsCorrectBytes(new Rpc(c.snapshots("default")), "default/2/ctr");
        }

        // it frees its space, the cache fills up to the watermark again, and then something fills the filesystem
        // while the daemon runs: changes to the snapshots still work
        Files.delete(fs.resolve("filler1"));
        try (Daemon d = Daemon.start(config); GrpcClient c = new GrpcClient(config.address());
             LogWatch log = new LogWatch()) {
            Rpc rpc = new Rpc(c.snapshots("default"));
            readsCorrectBytes(rpc, "default/2/ctr");
            awaitCacheAtWatermark(log);
            fill(store, "filler2");
            rpc.prepare("default/3/ctr", "sha256:c1");
            rpc.remove("default/3/ctr");
            rpc.remove("default/2/ctr");
            rpc.remove("sha256:c1");
            fails(Status.Code.NOT_FOUND, () -> rpc.stat("sha256:c1"));
        }
    }

    /**
     * When something else fills the filesystem and the cache holds nothing to give back, the watermark cannot be kept:
     * the daemon says it is degraded (status and metric) and why, and says it no longer is once space is freed.
     */
    @Test
    void aWatermarkTheCacheCannotKeepIsReportedAsDegraded() throws Exception {
        Config config = config("metrics_address = \"127.0.0.1:0\"\n");
        FileStore store = Files.getFileStore(fs);
        try (LogWatch log = new LogWatch(); Daemon d = Daemon.start(config)) {
            String metrics = "http://127.0.0.1:" + d.metricsPort().orElseThrow() + "/metrics";
            assertEquals("", IntrospectionClient.listLayers(config.address(), "").getDegraded());
            assertEquals(0, Scrape.of(metrics).value("jstargz_degraded"));

            fill(store, "filler");
            String degraded = IntrospectionClient.listLayers(config.address(), "").getDegraded();
            assertTrue(degraded.contains("free space watermark") && degraded.contains("nothing more to give back"),
                    degraded);
            assertEquals(1, Scrape.of(metrics).value("jstargz_degraded"));
            log.await(Duration.ofSeconds(10), "chunk cache", "degraded until something else frees space");

            Files.delete(fs.resolve("filler"));
            assertEquals("", IntrospectionClient.listLayers(config.address(), "").getDegraded());
            assertEquals(0, Scrape.of(metrics).value("jstargz_degraded"));
            log.await(Duration.ofSeconds(10), "chunk cache", "free again");
        }
    }
}
