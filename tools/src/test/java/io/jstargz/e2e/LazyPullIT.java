package io.jstargz.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jstargz.remote.RegistryClient;
import io.jstargz.remote.RegistryConfig;
import io.jstargz.remote.auth.CredentialStore;
import io.jstargz.testing.Containerd;
import io.jstargz.testing.RegistryAccessLog;
import io.jstargz.testing.RegistryServer;
import io.jstargz.testing.TcpProxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * The main job, end to end: real containerd and runc, a real registry on 127.0.0.1 (behind a proxy that can cut it
 * off), and {@code jstargz serve} as its own process. An eStargz busybox image is pulled with
 * {@code ctr-remote image rpull} through jstargz and run with {@code ctr run}; a gzip image goes through the
 * fallback; then the daemon is restarted, and killed with SIGKILL and restarted with the registry unreachable, and
 * the container runs again each time. One registry, containerd and daemon serve the whole class, in this order.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LazyPullIT {
    private static final String NS = "jstargz-e2e";
    private static final Duration DEADLINE = Duration.ofSeconds(120);

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static Path tmp;
    private RegistryServer registry;
    private TcpProxy proxy;
    private Containerd containerd;
    private DaemonProcess daemon;
    private Path config;
    private Path socket;
    private TestImage estargz;
    private TestImage gzip;

    @BeforeAll
    void start() throws Exception {
        registry = RegistryServer.start();
        proxy = new TcpProxy(registry.port());
        try (RegistryClient client = RegistryClient.create(RegistryConfig.builder()
                .hostsDir(Path.of("/nonexistent")).build(), CredentialStore.ANONYMOUS)) {
            TestImage e = TestImage.pushEstargz(client, registry.host() + "/e2e/busybox:esgz");
            TestImage g = TestImage.pushGzip(client, registry.host() + "/e2e/busybox:gzip");
            // containerd reaches the registry through the proxy: same storage, another host name
            estargz = new TestImage(proxy.host() + "/e2e/busybox:esgz", e.layerDigests());
            gzip = new TestImage(proxy.host() + "/e2e/busybox:gzip", g.layerDigests());
        }
        socket = tmp.resolve("run/jstargz.sock");
        config = Files.writeString(tmp.resolve("config.toml"), "root = \"" + tmp.resolve("root") + "\"\n"
                + "address = \"" + socket + "\"\nlog_level = \"debug\"\n"
                + "[registry]\nhosts_dir = \"" + tmp.resolve("certs.d") + "\"\n" + DaemonProcess.fuseConfig());
        daemon = DaemonProcess.start(config, socket, tmp.resolve("jstargz.log"));
        containerd = Containerd.start(new Containerd.Options(tmp.resolve("containerd"), socket, tmp.resolve("root"),
                false));
    }

    @AfterAll
    void stop() throws Exception {
        try (AutoCloseable r = registry; AutoCloseable p = proxy; AutoCloseable d = daemon) {
            if (containerd != null) {
                containerd.close();
            }
        }
    }

    @Test
    @Order(1)
    void rpullMountsTheLayersLazilyAndTheContainerRuns() throws Exception {
        int mark = registry.accessLogMark();
        containerd.ctrRemote(NS, "image", "rpull", "--plain-http", "--snapshotter", Containerd.SNAPSHOTTER,
                estargz.ref()).orThrow();
        assertEquals(TestImage.OUTPUT, estargz.run(containerd, NS, "lazy-1"));

        for (JsonNode r : daemon.remoteLayers(estargz)) {
            assertEquals("MOUNTED", r.get("state").asText(), r.toString());
            assertEquals(estargz.ref(), r.get("imageRef").asText());
            assertTrue(r.get("fetchedBytes").asLong() > 0 && r.get("totalBytes").asLong() > 0, r.toString());
            assertTrue(Files.isDirectory(Path.of(r.get("mountPoint").asText()).resolve("data"))
                    || Files.isDirectory(Path.of(r.get("mountPoint").asText()).resolve("etc")), r.toString());
        }
        for (String digest : estargz.layerDigests()) {
            assertEquals(1, daemon.logLines("mounted lazily").stream().filter(l -> l.contains(digest)).count(),
                    "one log line per layer decision");
        }
        List<String> content = TestImage.contentDigests(containerd, NS);
        for (String digest : estargz.layerDigests()) {
            assertFalse(content.contains(digest), "layer " + digest + " is not in containerd's content store");
        }
        registry.syncAccessLog();
        List<RegistryAccessLog.Entry> layerReads = registry.accessLog().since(mark,
                e -> estargz.layerDigests().stream().anyMatch(d -> e.uri().endsWith(d)));
        assertFalse(layerReads.isEmpty());
        for (RegistryAccessLog.Entry e : layerReads) {
            assertTrue(e.method().equals("GET") && e.status() == 206, "only range reads of layers: " + e);
        }
        String table = daemon.statusTable();
        assertTrue(table.contains("MOUNTED") && table.contains(estargz.ref()), table);
        String binding = DaemonProcess.expectedFuseBinding();
        assertTrue(table.contains("FUSE binding: " + binding), table);
        assertEquals(1, daemon.logLines("jstargz snapshotter ready").stream()
                .filter(l -> l.contains("FUSE binding " + binding)).count(), "the start-up log names the binding");
    }

    @Test
    @Order(2)
    void aGzipImageIsPulledNormallyThroughTheFallback() throws Exception {
        containerd.ctrRemote(NS, "image", "rpull", "--plain-http", "--snapshotter", Containerd.SNAPSHOTTER,
                gzip.ref()).orThrow();
        assertEquals(TestImage.OUTPUT, gzip.run(containerd, NS, "fallback-1"));
        for (JsonNode r : daemon.remoteLayers(gzip)) {
            assertEquals("FALLBACK", r.get("state").asText(), r.toString());
            assertTrue(r.get("reason").asText().contains("no TOC digest annotation"), r.toString());
        }
        List<String> content = TestImage.contentDigests(containerd, NS);
        for (String digest : gzip.layerDigests()) {
            assertTrue(content.contains(digest), "containerd pulled layer " + digest);
            assertEquals(1, daemon.logLines("pulled normally").stream().filter(l -> l.contains(digest)).count());
        }
        assertTrue(daemon.statusTable().contains("no TOC digest annotation"));
    }

    @Test
    @Order(3)
    void afterARestartTheContainerRunsAgain() throws Exception {
        daemon.awaitLog(DEADLINE, "warm-up finished");
        daemon.stop();
        // its start, warm-up, the pulls and runs above, and a clean stop: nothing for an operator to look into (the
        // warm-up's layer cache once logged an error for each layer it still held as it closed)
        assertEquals(List.of(), daemon.logLines(" ERROR "), "error lines of the daemon's life");
        // the warm-up pulled, read and exercised its layer through FUSE to the end (a failure is only a warning)
        assertEquals(List.of(), daemon.logLines("warming up failed"), "the daemon's warm-up");
        daemon = DaemonProcess.start(config, socket, tmp.resolve("jstargz.log"));
        for (String digest : estargz.layerDigests()) {
            daemon.awaitLog(DEADLINE, digest, "mounted lazily", "(restored");
        }
        daemon.awaitContainerdConnected(containerd, NS);
        assertEquals(TestImage.OUTPUT, estargz.run(containerd, NS, "lazy-2"));
        assertEquals(TestImage.OUTPUT, gzip.run(containerd, NS, "fallback-2"));
        for (JsonNode r : daemon.remoteLayers(estargz)) {
            assertEquals("MOUNTED", r.get("state").asText(), r.toString());
        }
    }

    @Test
    @Order(4)
    void afterSigkillTheDaemonRestartsWithoutTheRegistryAndTheContainerRunsAgain() throws Exception {
        for (String digest : estargz.layerDigests()) {
            daemon.awaitLog(DEADLINE, digest, "is fully local");
        }
        proxy.down();
        try {
            daemon.kill();
            daemon = DaemonProcess.start(config, socket, tmp.resolve("jstargz.log"));
            daemon.awaitContainerdConnected(containerd, NS);
            assertEquals(TestImage.OUTPUT, estargz.run(containerd, NS, "lazy-3"));
            for (JsonNode r : daemon.remoteLayers(estargz)) {
                assertEquals("MOUNTED", r.get("state").asText(), r.toString());
                assertEquals(r.get("totalBytes").asLong(), r.get("fetchedBytes").asLong(), r.toString());
            }
        } finally {
            proxy.up();
        }
    }
}
