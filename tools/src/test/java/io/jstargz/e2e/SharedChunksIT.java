package io.jstargz.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jstargz.estargz.Chunk;
import io.jstargz.estargz.EstargzReader;
import io.jstargz.estargz.LayerIndex;
import io.jstargz.estargz.OpenOptions;
import io.jstargz.remote.Digest;
import io.jstargz.remote.ImageReference;
import io.jstargz.remote.RegistryBlobSource;
import io.jstargz.remote.RegistryClient;
import io.jstargz.remote.RegistryConfig;
import io.jstargz.remote.auth.CredentialStore;
import io.jstargz.testing.BusyboxImage;
import io.jstargz.testing.Containerd;
import io.jstargz.testing.LayerBuilder;
import io.jstargz.testing.RegistryAccessLog;
import io.jstargz.testing.RegistryServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chunk cache is content-addressed: a second image whose layer differs from the first's, but holds many of the
 * same files, fetches none of those files' bytes from the registry. Two busybox images, each with one more layer:
 * the same 24 files (different layer blobs, because each adds a file of its own). The first image is pulled, run and
 * fetched in full; then the second is pulled and run, and its layer becomes fully local while the registry serves
 * none of the shared files' spans of the second blob.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SharedChunksIT {
    private static final String NS = "jstargz-shared";
    private static final Duration DEADLINE = Duration.ofSeconds(120);
    private static final int COMMON_FILES = 24;
    private static final int COMMON_SIZE = 96 << 10;
    /** Larger than the tail the daemon reads to open a layer, so that read holds none of the shared files. */
    private static final int OWN_SIZE = 640 << 10;

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static Path tmp;
    private RegistryServer registry;
    private Containerd containerd;
    private DaemonProcess daemon;
    private final List<byte[]> common = new ArrayList<>();

    @BeforeAll
    void start() throws Exception {
        registry = RegistryServer.start();
        Random random = new Random(7);
        for (int i = 0; i < COMMON_FILES; i++) {
            byte[] b = new byte[COMMON_SIZE];
            random.nextBytes(b);
            common.add(b);
        }
        Path socket = tmp.resolve("run/jstargz.sock");
        Path config = Files.writeString(tmp.resolve("config.toml"), "root = \"" + tmp.resolve("root") + "\"\n"
                + "address = \"" + socket + "\"\n"
                + "[registry]\nhosts_dir = \"" + tmp.resolve("certs.d") + "\"\n"
                + "[fetch]\nbackground_quiet_seconds = 0\n");
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

    /** Busybox, and a layer with the common files and {@code data/zz-<own>} (last in the blob, so in its tail). */
    private List<LayerBuilder> layers(String own, Random random) throws Exception {
        LayerBuilder layer = new LayerBuilder();
        for (int i = 0; i < COMMON_FILES; i++) {
            layer.file(String.format("data/common-%02d", i), common.get(i), 0644);
        }
        byte[] mine = new byte[OWN_SIZE];
        random.nextBytes(mine);
        layer.file("data/zz-" + own, mine, 0644);
        return List.of(BusyboxImage.baseLayer(), layer);
    }

    /** What {@code md5sum} prints for the common files, read in name order. */
    private String commonMd5() throws Exception {
        MessageDigest md5 = MessageDigest.getInstance("MD5");
        common.forEach(md5::update);
        return HexFormat.of().formatHex(md5.digest());
    }

    /**
     * The container's two lines of output. ctr 2.1 once returned the first alone, the container having exited 0:
     * containerd's copy of a short-lived container's output can lose its end. Then a second container on the same
     * image, whose reads the cache serves, prints them again.
     */
    private String runReadingCommonFiles(TestImage image, String container) throws Exception {
        containerd.ctrRemote(NS, "image", "rpull", "--plain-http", "--snapshotter", Containerd.SNAPSHOTTER,
                image.ref()).orThrow();
        String out = "";
        for (String name : List.of(container, container + "-again")) {
            out = containerd.ctr(NS, "run", "--rm", "--snapshotter", Containerd.SNAPSHOTTER, image.ref(), name,
                    "sh", "-c", "cat /data/common-* | md5sum; cat /data/zz-* | wc -c").orThrow();
            if (out.lines().count() == 2) {
                return out;
            }
        }
        return out;
    }

    /** Compressed bytes of {@code layer}'s spans that hold the common files. */
    private long commonSpanBytes(RegistryClient client, ImageReference image, String layer) throws Exception {
        try (RegistryBlobSource blob = client.openBlob(image, Digest.parse(layer), -1)) {
            LayerIndex index = EstargzReader.open(blob, OpenOptions.defaults(layer));
            long total = 0;
            for (int i = 0; i < COMMON_FILES; i++) {
                for (Chunk c : index.lookup(String.format("data/common-%02d", i)).orElseThrow().chunks()) {
                    total += c.spanLength();
                }
            }
            return total;
        }
    }

    @Test
    void aSecondImageFetchesNoneOfTheFilesTheFirstAlreadyBrought() throws Exception {
        TestImage first;
        TestImage second;
        long secondBlobSize;
        long secondCommonBytes;
        try (RegistryClient client = RegistryClient.create(RegistryConfig.builder()
                .hostsDir(Path.of("/nonexistent")).build(), CredentialStore.ANONYMOUS)) {
            Random random = new Random(11);
            first = TestImage.pushEstargz(client, registry.host() + "/shared/first:esgz", layers("first", random),
                    List.of());
            second = TestImage.pushEstargz(client, registry.host() + "/shared/second:esgz",
                    layers("second", random), List.of());
            ImageReference image = ImageReference.parse(second.ref());
            String layer = second.layerDigests().get(1);
            secondBlobSize = client.blobSize(image, Digest.parse(layer));
            secondCommonBytes = commonSpanBytes(client, image, layer);
        }
        String expected = commonMd5() + "  -\n" + OWN_SIZE + "\n";
        assertEquals(first.layerDigests().get(0), second.layerDigests().get(0), "the same busybox layer");
        assertNotEquals(first.layerDigests().get(1), second.layerDigests().get(1), "different second layers");

        assertEquals(expected, runReadingCommonFiles(first, "first"));
        daemon.awaitLog(DEADLINE, first.layerDigests().get(1), "is fully local");

        int mark = registry.accessLogMark();
        assertEquals(expected, runReadingCommonFiles(second, "second"));
        String layer = second.layerDigests().get(1);
        daemon.awaitLog(DEADLINE, layer, "is fully local");
        registry.syncAccessLog();
        long served = 0;
        for (RegistryAccessLog.Entry e : registry.accessLog().since(mark, e -> e.uri().endsWith(layer))) {
            assertEquals(206, e.status(), "only range reads of the layer: " + e);
            served += e.bytesWritten();
        }
        JsonNode record = daemon.status().values().stream().map(s -> s.path("remote"))
                .filter(r -> r.path("layerDigest").asText().equals(layer)).findFirst().orElseThrow();
        assertEquals(record.get("totalBytes").asLong(), record.get("fetchedBytes").asLong(),
                "the second layer is fully local: " + record);
        assertTrue(served >= OWN_SIZE, "the second layer's own file came from the registry: " + served + " bytes");
        // opening the layer reads its tail, and the span of the own file that begins before the tail is fetched
        // whole when read: at most a tail's worth of bytes twice
        long tail = OpenOptions.defaults(layer).tailSize();
        assertTrue(served <= secondBlobSize - secondCommonBytes + tail, "the registry served " + served
                + " bytes of the " + secondBlobSize + "-byte layer, which holds " + secondCommonBytes
                + " bytes of shared files");
    }
}
