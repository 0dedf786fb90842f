package io.jstargz.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jstargz.estargz.Annotations;
import io.jstargz.estargz.BlobFormat;
import io.jstargz.estargz.EstargzReader;
import io.jstargz.estargz.LayerIndex;
import io.jstargz.estargz.LayerVerifier;
import io.jstargz.estargz.OpenOptions;
import io.jstargz.image.ImageChecks.LayoutImage;
import io.jstargz.image.LayerReport.Outcome;
import io.jstargz.remote.Descriptor;
import io.jstargz.remote.Digest;
import io.jstargz.remote.ImageReference;
import io.jstargz.remote.MediaTypes;
import io.jstargz.remote.Platform;
import io.jstargz.remote.PushOutcome;
import io.jstargz.remote.RegistryClient;
import io.jstargz.remote.RegistryConfig;
import io.jstargz.remote.ResolvedImage;
import io.jstargz.remote.auth.CredentialStore;
import io.jstargz.testing.RegistryAccessLog;
import io.jstargz.testing.RegistryServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whole-image conversion with real parts: images built from busybox-static (one written by umoci, with whiteouts and
 * a layer that leaves out an unchanged parent directory), a real registry on 127.0.0.1, skopeo as an independent
 * reader and writer.
 */
class ImageConvertTest {
    private static RegistryServer registry;
    private static RegistryClient client;
    @TempDir
    static Path shared;
    private static Path busybox;
    private static Path layered;

    @BeforeAll
    static void setUp() throws IOException {
        registry = RegistryServer.start();
        // small upload chunks: the busybox layer (1 MiB) goes up in several PATCH requests
        client = RegistryClient.create(RegistryConfig.builder().hostsDir(shared.resolve("no-hosts"))
                .uploadChunkSize(256 << 10).build(), CredentialStore.ANONYMOUS);
        busybox = TestImages.busybox(shared.resolve("busybox")).dir();
        layered = TestImages.layered(shared.resolve("layered"));
    }

    @AfterAll
    static void tearDown() throws IOException {
        client.close();
        registry.close();
    }

    static ConvertReport convert(String src, String dst, ImageConvertOptions options) throws IOException {
        try (ImageSource source = ImageLocation.parse(src).openSource(client);
             ImageSink sink = ImageLocation.parse(dst).openSink(client, null)) {
            return new ImageConverter(options, ConvertListener.NONE).convert(source, sink);
        }
    }

    private static String reg(String repoAndTag) {
        return "docker://" + registry.host() + "/" + repoAndTag;
    }

    @Test
    void busyboxLayoutToLayout(@TempDir Path out) throws Exception {
        ConvertReport report = convert("oci:" + busybox + ":bb", "oci:" + out + ":esgz", ImageConvertOptions.defaults());

        LayoutImage original = ImageChecks.image(busybox, "bb");
        LayoutImage converted = ImageChecks.image(out, "esgz");
        assertEquals(converted.digest(), report.digest());
        assertEquals(1, report.count(Outcome.CONVERTED));
        List<LayerIndex> layers = ImageChecks.checkEstargz(converted);
        assertEquals(LayerIndex.Landmark.NO_PREFETCH, layers.get(0).landmark());
        ImageChecks.assertSameFiles(original, converted);
        // everything but the layers is kept
        assertEquals(original.config().path("config"), converted.config().path("config"));
        assertEquals(original.config().path("architecture"), converted.config().path("architecture"));
        assertEquals(original.config().path("created"), converted.config().path("created"));
        assertNotEquals(original.diffIds(), converted.diffIds());
        assertTrue(report.summary().contains("1 converted"), report.summary());
        try (var files = Files.list(out)) {
            assertEquals(List.of("blobs", "index.json", "oci-layout"),
                    files.map(p -> p.getFileName().toString()).sorted().toList(), "no work files left behind");
        }
    }

    @Test
    void zstdChunkedImagesAreWrittenKeptAndConvertedBack(@TempDir Path tmp) throws Exception {
        ImageConvertOptions zstd = ImageConvertOptions.defaults().withFormat(BlobFormat.ZSTD_CHUNKED);
        ConvertReport first = convert("oci:" + layered + ":layered", "oci:" + tmp + ":zstd", zstd);
        assertEquals(3, first.count(Outcome.CONVERTED));
        LayoutImage original = ImageChecks.image(layered, "layered");
        LayoutImage chunked = ImageChecks.image(tmp, "zstd");
        ImageChecks.checkLayers(chunked, BlobFormat.ZSTD_CHUNKED);
        ImageChecks.assertSameFiles(original, chunked);
        for (Descriptor layer : chunked.manifest().layers()) {
            assertTrue(layer.annotation("io.containers.zstd-chunked.manifest-checksum").startsWith("sha256:"),
                    layer.toString());
            assertEquals(4, layer.annotation("io.containers.zstd-chunked.manifest-position").split(":").length);
        }

        ConvertReport again = convert("oci:" + tmp + ":zstd", "oci:" + tmp + ":zstd2", zstd);
        assertEquals(3, again.count(Outcome.REUSED), "zstd:chunked layers are kept as they are");
        assertEquals(chunked.digest(), again.digest());

        // the tar+zstd layers are read (decompressed) to convert them to eStargz
        ConvertReport back = convert("oci:" + tmp + ":zstd", "oci:" + tmp + ":esgz", ImageConvertOptions.defaults());
        assertEquals(3, back.count(Outcome.CONVERTED));
        LayoutImage esgz = ImageChecks.image(tmp, "esgz");
        ImageChecks.checkEstargz(esgz);
        ImageChecks.assertSameFiles(original, esgz);
    }

    @Test
    void uncompressWritesEachLayerAsItsPlainTar(@TempDir Path tmp) throws Exception {
        ConvertReport report = convert("oci:" + layered + ":layered", "oci:" + tmp + ":plain",
                ImageConvertOptions.defaults().withUncompress(true));
        assertEquals(3, report.count(Outcome.CONVERTED));
        LayoutImage original = ImageChecks.image(layered, "layered");
        LayoutImage plain = ImageChecks.image(tmp, "plain");
        assertEquals(original.diffIds(), plain.diffIds(), "the diffIDs do not change");
        for (int i = 0; i < 3; i++) {
            Descriptor layer = plain.manifest().layers().get(i);
            assertEquals(MediaTypes.OCI_LAYER, layer.mediaType());
            assertEquals(plain.diffIds().get(i), layer.digest().toString(), "a plain tar's digest is its diffID");
        }
        ImageChecks.assertSameFiles(original, plain);
        ConvertReport again = convert("oci:" + tmp + ":plain", "oci:" + tmp + ":again",
                ImageConvertOptions.defaults().withUncompress(true));
        assertEquals(3, again.count(Outcome.REUSED));
        assertEquals(plain.digest(), again.digest());
    }

    @Test
    void externalTocsGoToATocImageBesideTheImage(@TempDir Path tmp) throws Exception {
        ImageConvertOptions external = ImageConvertOptions.defaults().withFormat(BlobFormat.ESTARGZ_EXTERNAL_TOC);
        ConvertReport report = convert("oci:" + layered + ":layered", reg("ext/app:1"), external);
        assertEquals(3, report.count(Outcome.CONVERTED));
        ImageReference image = ImageReference.parse(registry.host() + "/ext/app:1");
        ResolvedImage converted = client.resolve(image);
        ResolvedImage tocImage = client.resolve(ImageReference.parse(registry.host() + "/ext/app:1-esgztoc"));
        assertEquals(3, tocImage.manifest().layers().size());
        List<String> tocDigests = tocImage.manifest().layers().stream().map(d -> d.digest().toString()).toList();
        assertEquals(tocDigests.stream().sorted().toList(), tocDigests, "TOC layers sorted by digest");
        for (Descriptor layer : converted.manifest().layers()) {
            Descriptor toc = tocImage.manifest().layers().stream().filter(d -> layer.digest().toString().equals(
                    d.annotation("containerd.io/snapshot/stargz/layer.digest"))).findFirst().orElseThrow();
            assertEquals(MediaTypes.OCI_LAYER_GZIP, toc.mediaType());
            byte[] tocBlob;
            try (var in = client.fetchBlob(image, toc.digest(), toc.size())) {
                tocBlob = in.readAllBytes();
            }
            try (var blob = client.openBlob(image, layer)) {
                LayerIndex index = EstargzReader.open(blob, OpenOptions.defaults(layer.digest().toString())
                        .withExpectedTocDigest(layer.annotation(Annotations.TOC_DIGEST))
                        .withExternalToc(max -> tocBlob));
                assertEquals(BlobFormat.ESTARGZ_EXTERNAL_TOC, index.format());
                assertTrue(LayerVerifier.verify(blob, index, null).files() > 0);
            }
        }
        IllegalArgumentException noTag = assertThrows(IllegalArgumentException.class,
                () -> convert("oci:" + layered + ":layered", "oci:" + tmp.resolve("notag"), external));
        assertTrue(noTag.getMessage().contains("needs a tag"), noTag.getMessage());
    }

    @Test
    void layeredImageThroughTheRegistryWithPrioritizedFiles(@TempDir Path tmp) throws Exception {
        Path list = Files.writeString(tmp.resolve("prio.txt"), "/bin/busybox\n./etc/hostname\ndata/hello.txt\n"
                + "data/gone.txt\nnot/there\n");
        LayoutImage original = ImageChecks.image(layered, "layered");
        assertFalse(ImageChecks.files(original.blob(original.manifest().layers().get(2))).containsKey("etc"),
                "umoci left the unchanged /etc out of the top layer");
        ImageConvertOptions options = ImageConvertOptions.defaults().withPrioritizedFiles(RecordFile.read(list));
        ConvertReport report = convert("oci:" + layered + ":layered", reg("layered:esgz"), options);
        assertEquals(3, report.count(Outcome.CONVERTED));
        ImageReport image = report.images().get(0);
        assertEquals(List.of("bin/busybox"), image.layers().get(0).prioritized());
        assertEquals(List.of("data/hello.txt"), image.layers().get(1).prioritized());
        // etc/hostname is provided by the top layer, which umoci wrote without an entry for etc/; data/gone.txt is
        // deleted there, so no layer provides it
        assertEquals(List.of("etc/hostname"), image.layers().get(2).prioritized());
        assertEquals(List.of("data/gone.txt", "not/there"), image.unprioritized());

        // skopeo, an independent client, reads it and copies it into a layout
        String raw = TestImages.skopeo("inspect", "--raw", "--tls-verify=false", reg("layered:esgz"));
        JsonNode manifest = Json.MAPPER.readTree(raw);
        assertEquals(report.images().get(0).manifest(), Digest.sha256(raw.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        assertEquals(3, manifest.path("layers").size());
        Path copy = tmp.resolve("copy");
        TestImages.skopeo("copy", "--src-tls-verify=false", reg("layered:esgz"), "oci:" + copy + ":esgz");

        LayoutImage converted = ImageChecks.image(copy, "esgz");
        ImageChecks.checkEstargz(converted);
        ImageChecks.assertSameFiles(original, converted);
        assertEquals(List.of("bin/busybox"), ImageChecks.prioritized(converted.blob(converted.manifest().layers()
                .get(0))));
        assertEquals(List.of("data/hello.txt"), ImageChecks.prioritized(converted.blob(converted.manifest()
                .layers().get(1))));
        List<String> top = ImageChecks.prioritized(converted.blob(converted.manifest().layers().get(2)));
        LayerReport topReport = image.layers().get(2);
        assertTrue(top.equals(List.of("etc/hostname")) || topReport.missed().equals(List.of("etc/hostname")),
                "etc/hostname is put first or reported as not put first: " + top + " " + topReport.missed());
    }

    @Test
    void registryToRegistryMountsAndSkipsWhatIsThere() throws Exception {
        TestImages.skopeo("copy", "--dest-tls-verify=false", "oci:" + busybox + ":bb", reg("mount/orig:1"));
        RegistryAccessLog log = registry.accessLog();
        int mark = log.mark();
        ConvertReport first = convert(reg("mount/orig:1"), reg("mount/esgz:1"), ImageConvertOptions.defaults());
        assertEquals(PushOutcome.UPLOADED, first.layers().get(0).push());
        registry.syncAccessLog();
        assertTrue(log.since(mark).stream().filter(e -> e.method().equals("PATCH") && e.status() == 202).count() >= 3,
                "a chunked upload: " + log.since(mark));
        List<String> order = log.since(mark).stream().filter(e -> e.method().equals("PUT"))
                .map(e -> e.uri().contains("/manifests/") ? "manifest" : "blob").toList();
        assertEquals("manifest", order.get(order.size() - 1), "the manifest goes last: " + order);

        // already eStargz: nothing converted, the same manifest, the layer mounted from the source repository
        mark = log.mark();
        ConvertReport copy = convert(reg("mount/esgz:1"), reg("mount/copy:1"), ImageConvertOptions.defaults());
        assertTrue(copy.unchanged());
        assertEquals(first.digest(), copy.digest());
        assertEquals(Outcome.REUSED, copy.layers().get(0).outcome());
        assertEquals(PushOutcome.MOUNTED, copy.layers().get(0).push());
        registry.syncAccessLog();
        assertTrue(log.since(mark).stream().anyMatch(e -> e.method().equals("POST") && e.uri().contains("mount=")
                && e.status() == 201), "a cross-repository mount: " + log.since(mark));

        // again: every blob is there, nothing is uploaded
        mark = log.mark();
        ConvertReport again = convert(reg("mount/esgz:1"), reg("mount/copy:1"), ImageConvertOptions.defaults());
        assertEquals(PushOutcome.ALREADY_EXISTS, again.layers().get(0).push());
        registry.syncAccessLog();
        assertFalse(log.since(mark).stream().anyMatch(e -> e.method().equals("PUT") && e.uri().contains("/blobs/")
                || e.method().equals("PATCH")), "no blob upload: " + log.since(mark));
    }

    @Test
    void alreadyEstargzIsANoOpUnlessForced(@TempDir Path tmp) throws Exception {
        ConvertReport first = convert("oci:" + busybox + ":bb", "oci:" + tmp + ":one", ImageConvertOptions.defaults());
        ConvertReport noop = convert("oci:" + tmp + ":one", "oci:" + tmp + ":two", ImageConvertOptions.defaults());
        assertTrue(noop.unchanged());
        assertEquals(first.digest(), noop.digest());
        assertEquals(Outcome.REUSED, noop.layers().get(0).outcome());
        assertEquals(PushOutcome.ALREADY_EXISTS, noop.layers().get(0).push());

        ConvertReport forced = convert("oci:" + tmp + ":one", "oci:" + tmp + ":three",
                ImageConvertOptions.defaults().withForce(true));
        assertEquals(Outcome.CONVERTED, forced.layers().get(0).outcome());
        ImageChecks.checkEstargz(ImageChecks.image(tmp, "three"));
        ImageChecks.assertSameFiles(ImageChecks.image(busybox, "bb"), ImageChecks.image(tmp, "three"));
    }

    @Test
    void dockerArchiveWrittenBySkopeo(@TempDir Path tmp) throws Exception {
        Path archive = tmp.resolve("layered.tar");
        TestImages.skopeo("copy", "oci:" + layered + ":layered", "docker-archive:" + archive + ":test/layered:1");
        ConvertReport report = convert("docker-archive:" + archive, "oci:" + tmp.resolve("out") + ":esgz",
                ImageConvertOptions.defaults());
        assertEquals(3, report.count(Outcome.CONVERTED));
        LayoutImage converted = ImageChecks.image(tmp.resolve("out"), "esgz");
        ImageChecks.checkEstargz(converted);
        ImageChecks.assertSameFiles(ImageChecks.image(layered, "layered"), converted);
    }

    @Test
    void multiPlatformIndexAllPlatformsOrTheSelectedOnes(@TempDir Path tmp) throws Exception {
        Path multi = TestImages.multiPlatform(tmp.resolve("multi"));
        ConvertReport all = convert("oci:" + multi + ":multi", reg("multi:all"), ImageConvertOptions.defaults());
        assertEquals(MediaTypes.OCI_INDEX, all.mediaType());
        assertEquals(List.of("linux/amd64", "linux/arm64"), all.images().stream().map(ImageReport::platform).toList());
        assertEquals(4, all.count(Outcome.CONVERTED));
        // the layer both platforms share is converted once: the same blob in both manifests
        assertEquals(all.images().get(0).layers().get(1).target(), all.images().get(1).layers().get(1).target());
        JsonNode index = Json.MAPPER.readTree(TestImages.skopeo("inspect", "--raw", "--tls-verify=false",
                reg("multi:all")));
        assertEquals(2, index.path("manifests").size(), "the attestation of the old image is dropped: " + index);
        for (String arch : List.of("amd64", "arm64")) {
            Path copy = tmp.resolve("copy-" + arch);
            TestImages.skopeo("copy", "--src-tls-verify=false", "--override-arch", arch, reg("multi:all"),
                    "oci:" + copy + ":x");
            ImageChecks.checkEstargz(ImageChecks.image(copy, "x"));
        }

        ConvertReport one = convert("oci:" + multi + ":multi", "oci:" + tmp.resolve("one") + ":arm",
                ImageConvertOptions.defaults().withPlatforms(List.of(Platform.parse("linux/arm64"))));
        assertEquals(List.of("linux/arm64"), one.images().stream().map(ImageReport::platform).toList());
        LayoutImage arm = ImageChecks.image(tmp.resolve("one"), "arm");
        assertEquals("arm64", arm.config().path("architecture").asText());
        ImageChecks.checkEstargz(arm);

        IOException none = assertThrows(IOException.class, () -> convert("oci:" + multi + ":multi",
                "oci:" + tmp.resolve("none") + ":x",
                ImageConvertOptions.defaults().withPlatforms(List.of(Platform.parse("linux/s390x")))));
        assertTrue(none.getMessage().contains("linux/s390x") && none.getMessage().contains("linux/arm64"),
                none.getMessage());
    }

    @Test
    void badInputsFailNamingWhatIsWrong(@TempDir Path tmp) throws Exception {
        IOException noTag = assertThrows(IOException.class, () -> convert("oci:" + busybox + ":nope",
                "oci:" + tmp.resolve("out") + ":x", ImageConvertOptions.defaults()));
        assertTrue(noTag.getMessage().contains("nope") && noTag.getMessage().contains("bb"), noTag.getMessage());
        assertFalse(Files.exists(tmp.resolve("out")), "nothing is written when the source cannot be read");

        // a layer whose bytes do not match its digest
        Path broken = tmp.resolve("broken");
        TestImages.busybox(broken);
        LayoutImage image = ImageChecks.image(broken, "bb");
        Path blob = image.blob(image.manifest().layers().get(0));
        byte[] bytes = Files.readAllBytes(blob);
        bytes[bytes.length / 2] ^= 1;
        Files.write(blob, bytes);
        IOException corrupt = assertThrows(IOException.class,
                () -> convert("oci:" + broken + ":bb", "oci:" + tmp + ":x", ImageConvertOptions.defaults()));
        assertTrue(corrupt.getMessage().contains(image.manifest().layers().get(0).digest().toString()),
                corrupt.getMessage());

        Path bzip2 = tmp.resolve("bzip2");
        TestImages.busybox(bzip2);
        String bzip2Type = "application/vnd.oci.image.layer.v1.tar+bzip2";
        TestImages.edit(bzip2, "bb", m -> ((ObjectNode) m.get("layers").get(0)).put("mediaType", bzip2Type),
                c -> { });
        IOException unsupported = assertThrows(IOException.class,
                () -> convert("oci:" + bzip2 + ":bb", "oci:" + tmp.resolve("bout") + ":x",
                        ImageConvertOptions.defaults()));
        assertTrue(unsupported.getMessage().contains(bzip2Type), unsupported.getMessage());
        assertFalse(Files.exists(tmp.resolve("bout")));

        IllegalArgumentException archiveDst = assertThrows(IllegalArgumentException.class,
                () -> convert("oci:" + busybox + ":bb", "docker-archive:" + tmp.resolve("x.tar"),
                        ImageConvertOptions.defaults()));
        assertTrue(archiveDst.getMessage().contains("source only"), archiveDst.getMessage());
    }
}
