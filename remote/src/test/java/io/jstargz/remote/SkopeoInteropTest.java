package io.jstargz.remote;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jstargz.estargz.Annotations;
import io.jstargz.estargz.LayerIndex;
import io.jstargz.estargz.OpenOptions;
import io.jstargz.process.Command;
import io.jstargz.remote.auth.CredentialStore;
import io.jstargz.testing.RegistryServer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An independent client, skopeo, reads what this client pushes, and this client reads what skopeo pushes. */
class SkopeoInteropTest {

    private static final Path SKOPEO = Path.of("/usr/bin/skopeo");
    private static RegistryServer registry;
    private static RegistryClient client;
    private static TestImages.Pushed image;

    @BeforeAll
    static void start() throws IOException {
        if (!Files.isExecutable(SKOPEO)) {
            throw new IllegalStateException(SKOPEO + " is missing: install the Debian package skopeo");
        }
        registry = RegistryServer.start();
        client = RegistryClient.create(RegistryClientTest.config().build(), CredentialStore.ANONYMOUS);
        image = TestImages.push(client, ref("interop/ours:1"), TestImages.ESTARGZ_BLOBS,
                Platform.parse("linux/amd64"));
    }

    @AfterAll
    static void stop() throws IOException {
        client.close();
        registry.close();
    }

    private static ImageReference ref(String path) {
        return ImageReference.parse(registry.host() + "/" + path);
    }

    private static String skopeo(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(SKOPEO.toString(), "--insecure-policy"));
        cmd.addAll(List.of(args));
        return Command.of(cmd).run(Duration.ofMinutes(2)).orThrow();
    }

    @Test
    void skopeoReadsTheManifestWePushedByteForByte() throws Exception {
        String raw = skopeo("inspect", "--raw", "--tls-verify=false", "docker://" + registry.host() + "/interop/ours:1");
        assertEquals(new String(image.manifest(), StandardCharsets.UTF_8), raw);
    }

    @Test
    void weReadAnImageSkopeoCopied() throws Exception {
        skopeo("copy", "--src-tls-verify=false", "--dest-tls-verify=false",
                "docker://" + registry.host() + "/interop/ours:1", "docker://" + registry.host() + "/interop/copied:1");
        ResolvedImage resolved = client.resolve(ref("interop/copied:1"));
        assertEquals(image.layers().stream().map(Descriptor::digest).toList(),
                resolved.manifest().layers().stream().map(Descriptor::digest).toList());
        Descriptor layer = resolved.manifest().layers().get(1);
        try (InputStream in = client.fetchBlob(ref("interop/copied:1"), layer.digest(), layer.size())) {
            assertArrayEquals(Files.readAllBytes(TestImages.blob(TestImages.ESTARGZ_BLOBS.get(1))), in.readAllBytes());
        }
    }

    @Test
    void weReadAnImageSkopeoPushedFromAnOciLayout(@TempDir Path layout) throws Exception {
        String name = "small1-chunk64k-prio.esgz";
        Descriptor layer = TestImages.layer(name);
        Path blobs = Files.createDirectories(layout.resolve("blobs/sha256"));
        Files.copy(TestImages.blob(name), blobs.resolve(layer.digest().hex()));
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\""
                + TestImages.report(name).get("diffID").asText() + "\"]}}").getBytes(StandardCharsets.UTF_8);
        Digest configDigest = Digest.sha256(config);
        Files.write(blobs.resolve(configDigest.hex()), config);
        byte[] manifest = ManifestContent.JSON.writeValueAsBytes(new ImageManifest(2, MediaTypes.OCI_MANIFEST,
                Descriptor.of(MediaTypes.OCI_CONFIG, configDigest, config.length), List.of(layer), Map.of()));
        Digest manifestDigest = Digest.sha256(manifest);
        Files.write(blobs.resolve(manifestDigest.hex()), manifest);
        Files.writeString(layout.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        Files.writeString(layout.resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\""
                + MediaTypes.OCI_MANIFEST + "\",\"digest\":\"" + manifestDigest + "\",\"size\":" + manifest.length
                + ",\"annotations\":{\"org.opencontainers.image.ref.name\":\"v1\"}}]}");

        skopeo("copy", "--dest-tls-verify=false", "oci:" + layout + ":v1",
                "docker://" + registry.host() + "/interop/from-oci:v1");

        ResolvedImage resolved = client.resolve(ref("interop/from-oci:v1"));
        Descriptor pulled = resolved.manifest().layers().get(0);
        assertEquals(layer.digest(), pulled.digest());
        assertEquals(layer.annotation(Annotations.TOC_DIGEST), pulled.annotation(Annotations.TOC_DIGEST));
        LayerIndex index = TestImages.open(client.openBlob(ref("interop/from-oci:v1"), pulled), name,
                OpenOptions.DEFAULT_TAIL_SIZE);
        assertEquals(pulled.annotation(Annotations.TOC_DIGEST), index.tocDigest());
    }
}
