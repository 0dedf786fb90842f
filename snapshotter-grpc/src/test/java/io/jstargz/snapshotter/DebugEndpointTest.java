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
import io.jstargz.snapshotter.config.ConfigException;
import io.jstargz.snapshotter.config.ConfigLoader;
import io.jstargz.snapshotter.proto.introspection.ListLayersRequest;
import io.jstargz.testing.LayerBuilder;
import io.jstargz.testing.RegistryServer;
import io.jstargz.testing.TcpProxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The diagnostics endpoint of a real daemon: a read stuck on a registry that stopped answering shows up among the
 * FUSE operations in flight, with where its thread waits; thread dump and heap summary; loopback only.
 */
@SuppressWarnings("try") // daemon and client kept open for a block
class DebugEndpointTest {
    private static final Duration DEADLINE = Duration.ofSeconds(60);

    @TempDir
    Path tmp;

    private Config config(String extraToml) throws ConfigException {
        return ConfigLoader.parse("root = \"" + tmp.resolve("root") + "\"\naddress = \"" + tmp.resolve("s.sock")
                + "\"\nwarm_up = false\n" + extraToml + "\n[fetch]\nprefetch = false\nbackground_fetch = false\n"
                + "[registry]\nhosts_dir = \"" + tmp.resolve("none") + "\"\n", "test");
    }

    private static String get(int port, String path) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                "http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), path + ": " + r.body());
        return r.body();
    }

    @Test
    void aReadWaitingForAStalledRegistryIsListedInFlightWithWhereItWaits() throws Exception {
        byte[] data = new byte[3 << 20];
        new Random(5).nextBytes(data);
        try (RegistryServer registry = RegistryServer.start(); TcpProxy proxy = new TcpProxy(registry.port());
             RegistryClient client = RegistryClient.create(RegistryConfig.builder()
                     .hostsDir(Path.of("/nonexistent")).build(), CredentialStore.ANONYMOUS)) {
            Pushed layer = PushedLayers.estargz(client, ImageReference.parse(registry.host() + "/debug:1"),
                    new LayerBuilder().file("data.bin", data, 0644));
            Config config = config("debug_address = \"127.0.0.1:0\"");
            try (LogWatch log = new LogWatch(); Daemon d = Daemon.start(config);
                 GrpcClient c = new GrpcClient(config.address())) {
                int port = d.debugPort().orElseThrow();
                assertTrue(get(port, "/").contains("/debug/fuse"));
                assertTrue(get(port, "/debug/fuse").startsWith("0 FUSE operations in flight"));

                fails(Status.Code.ALREADY_EXISTS, () -> new Rpc(c.snapshots("default")).prepare(
                        "default/1/extract-1 sha256:c1", "", Map.of("containerd.io/snapshot.ref", "sha256:c1",
                                "containerd.io/snapshot/cri.image-ref", proxy.host() + "/debug:1",
                                "containerd.io/snapshot/cri.layer-digest", layer.digest(),
                                "containerd.io/snapshot/stargz/toc.digest", layer.tocDigest())));
                log.await(DEADLINE, layer.digest(), "mounted at"); // Prepare answers before the mount serves
                Path file = Path.of(c.introspection().listLayers(ListLayersRequest.getDefaultInstance())
                        .getLayers(0).getRemote().getMountPoint()).resolve("data.bin");

                proxy.stall(0);
                CompletableFuture<byte[]> read = CompletableFuture.supplyAsync(() -> {
                    try {
                        return Files.readAllBytes(file);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                proxy.awaitHeld(DEADLINE);
                String fuse = get(port, "/debug/fuse");
                assertTrue(fuse.contains("layer " + layer.digest()), fuse);
                assertTrue(fuse.lines().anyMatch(l -> l.matches(" {2}read +\\d+\\.\\d{3} ms {2}thread \".+\"")), fuse);
                assertTrue(fuse.contains("io.jstargz.fs.ChunkFetcher"), "the read waits for its fetch:\n" + fuse);

                String threads = get(port, "/debug/threads");
                assertTrue(threads.matches("(?s)\\d+ threads\n.*"), threads);
                assertTrue(threads.contains("\"jstargz-debug-1\"") && threads.contains("io.jstargz.fs.ChunkFetcher"),
                        threads);
                String heap = get(port, "/debug/heap");
                assertTrue(heap.startsWith("heap ") && heap.contains("collectors") && heap.contains("committed"),
                        heap);

                proxy.up();
                assertArrayEquals(data, read.get(DEADLINE.toSeconds(), TimeUnit.SECONDS));
                assertTrue(get(port, "/debug/fuse").startsWith("0 FUSE operations in flight"));
            }
        }
    }

    @Test
    void onlyLoopbackAddressesAreAccepted() throws Exception {
        for (String address : new String[] {"0.0.0.0:9136", "192.0.2.1:9136", "9136", "localhost:99999"}) {
            ConfigException e = assertThrows(ConfigException.class, () -> config("debug_address = \"" + address
                    + "\""), address);
            assertTrue(e.getMessage().contains("debug_address"), e.getMessage());
        }
        assertEquals("[::1]:0", config("debug_address = \"[::1]:0\"").debugAddress());
        assertEquals("localhost:9136", config("debug_address = \"localhost:9136\"").debugAddress());
    }
}
