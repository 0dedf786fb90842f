package io.jstargz.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jstargz.estargz.TocEntry;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
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

    @Test
    void eachLayerHasTheSameTocEntriesAsCtrRemoteConvert() throws Exception {
        Path tar = tmp.resolve("layered.tar");
        Command.of(List.of("tar", "-C", layered.toString(), "-cf", tar.toString(), ".")).run(Duration.ofSeconds(60))
                .orThrow();
        containerd.ctr(NS, "images", "import", "--base-name", "docker.io/jstargz/ref", tar.toString()).orThrow();
        Command.of(List.of(CTR_REMOTE.toString(), "--address", containerd.address().toString(), "--namespace",
                NS, "image", "convert", "--oci", "--estargz", "docker.io/jstargz/ref:layered",
                "docker.io/jstargz/ref:esgz")).run(Duration.ofSeconds(120)).orThrow();
        Path exported = tmp.resolve("reference.tar");
        containerd.ctr(NS, "images", "export", exported.toString(), "docker.io/jstargz/ref:esgz").orThrow();
        Path referenceDir = Files.createDirectories(tmp.resolve("reference"));
        Command.of(List.of("tar", "-C", referenceDir.toString(), "-xf", exported.toString())).run(Duration.ofSeconds(60)).orThrow();

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
