package io.jstargz.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jstargz.cache.ChunkCache;
import io.jstargz.cache.ChunkCacheConfig;
import io.jstargz.estargz.BlobFormat;
import io.jstargz.estargz.FileBlobSource;
import io.jstargz.estargz.TocEntry;
import io.jstargz.fs.LayerIdentity;
import io.jstargz.fs.LayerMount;
import io.jstargz.fs.LayerMountOptions;
import io.jstargz.image.ImageChecks.LayoutImage;
import io.jstargz.process.Command;
import io.jstargz.remote.RegistryClient;
import io.jstargz.remote.RegistryConfig;
import io.jstargz.remote.auth.CredentialStore;
import io.jstargz.testing.Containerd;
import io.jstargz.testing.RegistryServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * jstargz against the reference: {@code ctr-remote image convert --oci --estargz} (Debian's stargz-snapshotter,
 * through a containerd started here) converts the same umoci-built image, and each layer's TOC entries must be the
 * same as ours; and containerd pulls, unpacks and runs the image jstargz pushed.
 */
class ReferenceConverterTest {
    private static final Path CTR_REMOTE = Path.of("/usr/bin/ctr-remote");
    private static final String NS = "jstargz-image";
    @TempDir
    static Path tmp;
    private static Containerd containerd;
    private static RegistryServer registry;
    private static RegistryClient client;
    private static Path layered;

    @BeforeAll
    static void start() throws IOException {
        if (!Files.isExecutable(CTR_REMOTE)) {
            throw new IllegalStateException(CTR_REMOTE + " is missing: install the Debian package stargz-snapshotter");
        }
        containerd = Containerd.start(new Containerd.Options(tmp.resolve("containerd"), tmp.resolve("none.sock"),
                tmp.resolve("none"), false));
        registry = RegistryServer.start();
        client = RegistryClient.create(RegistryConfig.builder().hostsDir(tmp.resolve("no-hosts")).build(),
                CredentialStore.ANONYMOUS);
        layered = TestImages.layered(tmp.resolve("layered"));
    }

    @AfterAll
    static void stop() throws IOException {
        try {
            client.close();
            registry.close();
        } finally {
            containerd.close();
        }
    }

    /** Imports the layered image into containerd (once), as {@code docker.io/jstargz/ref:layered}. */
    private static synchronized void importLayered() throws IOException {
        Path tar = tmp.resolve("layered.tar");
        if (!Files.exists(tar)) {
            Command.of("tar", "-C", layered.toString(), "-cf", tar.toString(), ".").run(Duration.ofSeconds(60))
                    .orThrow();
            containerd.ctr(NS, "images", "import", "--base-name", "docker.io/jstargz/ref", tar.toString())
                    .orThrow();
        }
    }

    /** Converts the layered image with ctr-remote ({@code flag} is its format option) into an OCI layout. */
    private static Path ctrRemoteConvert(String flag, String tag) throws IOException {
        importLayered();
        Command.of(CTR_REMOTE.toString(), "--address", containerd.address().toString(), "--namespace",
                NS, "image", "convert", "--oci", flag, "docker.io/jstargz/ref:layered",
                "docker.io/jstargz/ref:" + tag).run(Duration.ofSeconds(120)).orThrow();
        Path exported = tmp.resolve("reference-" + tag + ".tar");
        containerd.ctr(NS, "images", "export", exported.toString(), "docker.io/jstargz/ref:" + tag).orThrow();
        Path referenceDir = Files.createDirectories(tmp.resolve("reference-" + tag));
        Command.of("tar", "-C", referenceDir.toString(), "-xf", exported.toString()).run(Duration.ofSeconds(60))
                .orThrow();
        return referenceDir;
    }

    @Test
    void eachLayerHasTheSameTocEntriesAsCtrRemoteConvert() throws Exception {
        Path referenceDir = ctrRemoteConvert("--estargz", "esgz");

        try (ImageSource src = ImageLocation.parse("oci:" + layered + ":layered").openSource(client);
             ImageSink sink = ImageLocation.parse("oci:" + tmp.resolve("ours") + ":esgz").openSink(client, null)) {
            new ImageConverter(ImageConvertOptions.defaults(), ConvertListener.NONE).convert(src, sink);
        }
        LayoutImage reference = ImageChecks.image(referenceDir, "esgz");
        LayoutImage ours = ImageChecks.image(tmp.resolve("ours"), "esgz");
        ImageChecks.checkEstargz(reference);
        ImageChecks.checkEstargz(ours);
        assertEquals(3, ours.manifest().layers().size());
        for (int i = 0; i < 3; i++) {
            Path refBlob = reference.blob(reference.manifest().layers().get(i));
            Path ourBlob = ours.blob(ours.manifest().layers().get(i));
            assertEquals(ImageChecks.files(refBlob), ImageChecks.files(ourBlob), "file tree of layer " + i);
            assertSameEntries(comparable(ImageChecks.toc(refBlob)), comparable(ImageChecks.toc(ourBlob)), i);
        }
        assertEquals(reference.config().path("history"), ours.config().path("history"));
    }

    @Test
    void zstdChunkedLayersHaveCtrRemotesEntriesAndCtrRemotesMountLazilyWithTheSameFiles() throws Exception {
        Path referenceDir = ctrRemoteConvert("--zstdchunked", "zstd");
        try (ImageSource src = ImageLocation.parse("oci:" + layered + ":layered").openSource(client);
             ImageSink sink = ImageLocation.parse("oci:" + tmp.resolve("ours-zstd") + ":zstd").openSink(client,
                     null)) {
            new ImageConverter(ImageConvertOptions.defaults().withFormat(BlobFormat.ZSTD_CHUNKED),
                    ConvertListener.NONE).convert(src, sink);
        }
        LayoutImage reference = ImageChecks.image(referenceDir, "zstd");
        LayoutImage ours = ImageChecks.image(tmp.resolve("ours-zstd"), "zstd");
        ImageChecks.checkLayers(reference, BlobFormat.ZSTD_CHUNKED);
        ImageChecks.checkLayers(ours, BlobFormat.ZSTD_CHUNKED);
        try (ChunkCache cache = ChunkCache.open(ChunkCacheConfig.defaults(tmp.resolve("zstd-cache")))) {
            for (int i = 0; i < 3; i++) {
                Path refBlob = reference.blob(reference.manifest().layers().get(i));
                Path ourBlob = ours.blob(ours.manifest().layers().get(i));
                Map<String, ImageChecks.FileSummary> files = ImageChecks.files(refBlob);
                assertEquals(files, ImageChecks.files(ourBlob), "file tree of layer " + i);
                assertSameEntries(comparable(ImageChecks.toc(refBlob)), comparable(ImageChecks.toc(ourBlob)), i);
                assertMountedFiles(refBlob, files, cache, tmp.resolve("mnt-zstd-" + i));
            }
        }
    }

    /** Mounts a layer blob lazily through FUSE and reads every regular file: each has the tar's content. */
    private static void assertMountedFiles(Path blob, Map<String, ImageChecks.FileSummary> files, ChunkCache cache,
                                           Path mountPoint) throws Exception {
        try (LayerMount m = LayerMount.open(LayerIdentity.ofFile(blob), FileBlobSource.open(blob), cache,
                LayerMountOptions.builder().prefetch(false).backgroundFetch(false).build())) {
            m.mount(Files.createDirectories(mountPoint));
            int read = 0;
            for (Map.Entry<String, ImageChecks.FileSummary> f : files.entrySet()) {
                // whiteouts are shown as overlayfs wants them, not as files
                if (f.getValue().type() == '0' && !f.getKey().replaceAll(".*/", "").startsWith(".wh.")) {
                    byte[] content = Files.readAllBytes(m.mountPoint().resolve(f.getKey()));
                    assertEquals(f.getValue().sha256(), HexFormat.of().formatHex(
                            MessageDigest.getInstance("SHA-256").digest(content)), f.getKey());
                    read++;
                }
            }
            assertTrue(read > 0, "read the files of " + blob);
            assertEquals(0, m.progress().failedReads());
        }
    }

    @Test
    void anImageInContainerdsContentStoreConvertsAsFromItsLayout() throws Exception {
        importLayered();
        ImageLocation inContainerd = new ImageLocation.Containerd(containerd.address(), NS,
                "docker.io/jstargz/ref:layered");
        ConvertReport fromContainerd;
        try (ImageSource src = inContainerd.openSource(client);
             ImageSink sink = ImageLocation.parse("oci:" + tmp.resolve("from-containerd") + ":x").openSink(client,
                     null)) {
            fromContainerd = new ImageConverter(ImageConvertOptions.defaults(), ConvertListener.NONE)
                    .convert(src, sink);
        }
        ConvertReport fromLayout;
        try (ImageSource src = ImageLocation.parse("oci:" + layered + ":layered").openSource(client);
             ImageSink sink = ImageLocation.parse("oci:" + tmp.resolve("from-layout") + ":x").openSink(client,
                     null)) {
            fromLayout = new ImageConverter(ImageConvertOptions.defaults(), ConvertListener.NONE).convert(src, sink);
        }
        assertEquals(fromLayout.digest(), fromContainerd.digest(), "the same image, converted the same");
        ImageChecks.checkEstargz(ImageChecks.image(tmp.resolve("from-containerd"), "x"));

        ImageLocation missing = new ImageLocation.Containerd(containerd.address(), NS, "docker.io/jstargz/nope:1");
        try (ImageSource src = missing.openSource(client)) {
            java.nio.file.NoSuchFileException e = assertThrows(java.nio.file.NoSuchFileException.class, src::root);
            assertTrue(e.getMessage().contains("docker.io/jstargz/nope:1"), e.getMessage());
        }
    }

    @Test
    void containerdPullsAndRunsWhatJstargzPushed() throws Exception {
        String ref = registry.host() + "/jstargz/run:esgz";
        try (ImageSource src = ImageLocation.parse("oci:" + layered + ":layered").openSource(client);
             ImageSink sink = ImageLocation.parse(ref).openSink(client, null)) {
            new ImageConverter(ImageConvertOptions.defaults(), ConvertListener.NONE).convert(src, sink);
        }
        // pulling unpacks every layer and checks each against the config's diffIDs
        containerd.ctr(NS, "images", "pull", "--plain-http", ref).orThrow();
        String out = containerd.ctr(NS, "run", "--rm", ref, "jstargz-image-run", "sh", "-c",
                "cat /etc/hostname; ls /data; cat /etc/motd").orThrow();
        assertEquals("layered\nhello.txt\nlayer 2\n", out);
    }

    private static void assertSameEntries(List<String> reference, List<String> ours, int layer) {
        for (int i = 0; i < Math.min(reference.size(), ours.size()); i++) {
            assertEquals(reference.get(i), ours.get(i), "TOC entry " + i + " of layer " + layer);
        }
        assertEquals(reference.size(), ours.size(), "TOC entries of layer " + layer);
    }

    /**
     * Every field of each entry but the compressed offsets, which depend on the gzip implementation. User and group
     * names are filled in as a reader does: the reference writes one only where it changes within each of the parts
     * it compresses in parallel, so where it repeats them depends on the number of CPUs.
     */
    private static List<String> comparable(List<TocEntry> toc) {
        List<String> out = new ArrayList<>();
        Map<Long, String> users = new HashMap<>();
        Map<Long, String> groups = new HashMap<>();
        for (TocEntry e : toc) {
            String user = e.userName().isEmpty() ? users.getOrDefault(e.uid(), "") : e.userName();
            String group = e.groupName().isEmpty() ? groups.getOrDefault(e.gid(), "") : e.groupName();
            users.put(e.uid(), user);
            groups.put(e.gid(), group);
            TreeMap<String, String> xattrs = new TreeMap<>();
            e.xattrs().forEach((k, v) -> xattrs.put(k, Base64.getEncoder().encodeToString(v)));
            out.add(String.join(" | ", e.name(), e.type(), Long.toString(e.size()), e.modtime(), e.linkName(),
                    Long.toOctalString(e.mode()), e.uid() + ":" + e.gid(), user + ":" + group,
                    e.devMajor() + "," + e.devMinor(), xattrs.toString(), e.digest(), e.chunkOffset() + "+"
                            + e.chunkSize(), e.chunkDigest(), Long.toString(e.innerOffset())));
        }
        assertTrue(out.size() > 1, "a TOC with entries besides the landmark: " + out);
        return out;
    }
}
