package io.jstargz.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jstargz.process.Command;
import io.jstargz.process.CommandResult;
import io.jstargz.remote.RegistryClient;
import io.jstargz.remote.RegistryConfig;
import io.jstargz.remote.auth.CredentialStore;
import io.jstargz.testing.Containerd;
import io.jstargz.testing.RegistryServer;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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
 * {@code jstargz pull} and {@code jstargz image toc-digest} against real parts: a registry on 127.0.0.1, containerd
 * (1.6, or 2.1 in the second run) and {@code jstargz serve}. The eStargz image is pulled without ctr-remote, its
 * layers are mounted lazily, and it survives containerd's garbage collector once the pull's lease is gone; a gzip
 * image falls back and runs too.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PullIT {
    private static final String NS = "jstargz-e2e-pull";
    private static final Duration DEADLINE = Duration.ofSeconds(300);

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static Path tmp;
    private RegistryServer registry;
    private Containerd containerd;
    private DaemonProcess daemon;
    private TestImage estargz;
    private TestImage gzip;

    @BeforeAll
    void start() throws Exception {
        registry = RegistryServer.start();
        try (RegistryClient client = RegistryClient.create(RegistryConfig.builder()
                .hostsDir(Path.of("/nonexistent")).build(), CredentialStore.ANONYMOUS)) {
            estargz = TestImage.pushEstargz(client, registry.host() + "/e2e/pull:esgz");
            gzip = TestImage.pushGzip(client, registry.host() + "/e2e/pull:gzip");
        }
        Path socket = tmp.resolve("run/jstargz.sock");
        Path config = Files.writeString(tmp.resolve("config.toml"), "root = \"" + tmp.resolve("root") + "\"\n"
                + "address = \"" + socket + "\"\n"
                + "[registry]\nhosts_dir = \"" + tmp.resolve("certs.d") + "\"\n" + DaemonProcess.fuseConfig());
        daemon = DaemonProcess.start(config, socket, tmp.resolve("jstargz.log"));
        containerd = Containerd.start(new Containerd.Options(tmp.resolve("containerd"), socket, tmp.resolve("root"),
                false));
    }

    @AfterAll
    void stop() throws Exception {
        try (AutoCloseable r = registry; AutoCloseable d = daemon) {
            if (containerd != null) {
                containerd.close();
            }
        }
    }

    private CommandResult jstargz(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(DaemonProcess.CLI.toString()));
        command.addAll(List.of(args));
        return Command.of(command).run(DEADLINE);
    }

    private String pull(TestImage image) throws Exception {
        return jstargz("pull", "--address", containerd.address().toString(), "--namespace", NS,
                "--hosts-dir", tmp.resolve("certs.d").toString(), image.ref()).orThrow();
    }

    /** A garbage collection now: deleting a lease with --sync waits for the collection it starts. */
    private void collectGarbage() throws Exception {
        containerd.ctr(NS, "leases", "create", "--id", "jstargz-e2e-gc").orThrow();
        containerd.ctr(NS, "leases", "delete", "--sync", "jstargz-e2e-gc").orThrow();
    }

    @Test
    @Order(1)
    void pullMountsTheEstargzLayersLazilyAndTheImageRunsAfterAGarbageCollection() throws Exception {
        String out = pull(estargz);
        for (int i = 0; i < estargz.layerDigests().size(); i++) {
            assertTrue(out.contains("layer " + i + " (" + estargz.layerDigests().get(i)
                    + "): mounted lazily (remote snapshot)"), out);
        }
        assertTrue(out.contains("pulled " + estargz.ref() + " (sha256:"), out);
        assertTrue(out.contains(": 3 layers mounted lazily, 0 unpacked, 0 already there"), out);
        for (JsonNode r : daemon.remoteLayers(estargz)) {
            assertEquals("MOUNTED", r.get("state").asText(), r.toString());
            assertEquals(estargz.ref(), r.get("imageRef").asText(), r.toString());
        }
        List<String> content = TestImage.contentDigests(containerd, NS);
        for (String digest : estargz.layerDigests()) {
            assertFalse(content.contains(digest), "layer " + digest + " was not downloaded into the content store");
        }
        assertFalse(containerd.ctr(NS, "leases", "ls").orThrow().contains("jstargz-pull-"), "the lease is released");
        assertTrue(containerd.ctr(NS, "image", "ls", "-q").orThrow().lines().anyMatch(estargz.ref()::equals));

        // the image's gc labels now hold its manifest, config and snapshots
        collectGarbage();
        assertEquals(TestImage.OUTPUT, estargz.run(containerd, NS, "pulled-1"));
    }

    @Test
    @Order(2)
    void tocDigestOfTheRegistryImageIsWhatTheDaemonCheckedTheLayersAgainst() throws Exception {
        String table = jstargz("image", "toc-digest", "--hosts-dir", tmp.resolve("certs.d").toString(),
                estargz.ref()).orThrow();
        List<String> expected = new ArrayList<>();
        List<JsonNode> records = daemon.remoteLayers(estargz);
        for (int i = 0; i < records.size(); i++) {
            expected.add("linux/amd64 " + i + " " + estargz.layerDigests().get(i) + " "
                    + records.get(i).get("tocDigest").asText());
        }
        assertEquals(expected, table.lines().skip(1).map(l -> String.join(" ", l.split("\\s+"))).toList(), table);
        CommandResult plain = jstargz("image", "toc-digest", "--hosts-dir", tmp.resolve("certs.d").toString(),
                gzip.ref());
        assertEquals(1, plain.exitCode(), plain.output());
        assertTrue(plain.output().contains("layer 0 " + gzip.layerDigests().get(0) + " is not eStargz"),
                plain.output());
    }

    @Test
    @Order(3)
    void aGzipImageFallsBackIsUnpackedByContainerdAndRuns() throws Exception {
        String out = pull(gzip);
        for (int i = 0; i < gzip.layerDigests().size(); i++) {
            String layer = "layer " + i + " (" + gzip.layerDigests().get(i) + ")";
            assertTrue(out.contains(layer + " was not mounted lazily (jstargz status says why)"), out);
            assertTrue(out.contains(layer + ": unpacked"), out);
        }
        assertTrue(out.contains(": 0 layers mounted lazily, 3 unpacked, 0 already there"), out);
        for (JsonNode r : daemon.remoteLayers(gzip)) {
            assertEquals("FALLBACK", r.get("state").asText(), r.toString());
        }
        List<String> content = TestImage.contentDigests(containerd, NS);
        for (String digest : gzip.layerDigests()) {
            assertTrue(content.contains(digest), "layer " + digest + " is in the content store");
        }
        collectGarbage();
        assertEquals(TestImage.OUTPUT, gzip.run(containerd, NS, "pulled-2"));
    }

    @Test
    @Order(4)
    void pullingAgainFindsTheSnapshotsThere() throws Exception {
        String out = pull(estargz);
        assertTrue(out.contains(": 0 layers mounted lazily, 0 unpacked, 3 already there"), out);
        assertEquals(TestImage.OUTPUT, estargz.run(containerd, NS, "pulled-3"));
    }

    @Test
    @Order(5)
    void errorsNameWhatIsMissing() throws Exception {
        CommandResult noContainerd = jstargz("pull", "--address", tmp.resolve("none.sock").toString(),
                estargz.ref());
        assertEquals(1, noContainerd.exitCode(), noContainerd.output());
        assertTrue(noContainerd.output().contains("no such file: " + tmp.resolve("none.sock")
                + " (containerd's socket, for jstargz pull)"), noContainerd.output());

        Path stale = tmp.resolve("stale.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(stale));
        }
        CommandResult notRunning = jstargz("pull", "--address", stale.toString(), estargz.ref());
        assertEquals(1, notRunning.exitCode(), notRunning.output());
        assertTrue(notRunning.output().contains("containerd at " + stale + " (namespace default): creating a lease: "
                + "containerd is not reachable"), notRunning.output());

        CommandResult noImage = jstargz("pull", "--address", containerd.address().toString(), "--namespace", NS,
                registry.host() + "/e2e/pull:missing");
        assertEquals(1, noImage.exitCode(), noImage.output());
        assertTrue(noImage.output().contains("e2e/pull:missing"), noImage.output());
        assertFalse(noImage.output().contains("Exception"), noImage.output());
    }
}
