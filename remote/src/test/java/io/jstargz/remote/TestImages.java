package io.jstargz.remote;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jstargz.estargz.Annotations;
import io.jstargz.estargz.BlobSource;
import io.jstargz.estargz.EstargzReader;
import io.jstargz.estargz.LayerIndex;
import io.jstargz.estargz.OpenOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Test images made of the reference eStargz blobs in {@code testdata/estargz}, pushed with the client. */
final class TestImages {

    static final List<String> ESTARGZ_BLOBS = List.of("small1-chunk64k-prio.esgz", "small1-default.esgz",
            "small1-default-legacyfooter.stargz");

    /** A pushed image: its manifest bytes and layers. */
    record Pushed(ImageReference ref, byte[] manifest, Digest digest, List<Descriptor> layers) {
    }

    private TestImages() {
    }

    static Path testdata() {
        Path dir = Path.of(System.getProperty("jstargz.repo", "."), "testdata", "estargz");
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException("test vectors missing: " + dir.toAbsolutePath());
        }
        return dir;
    }

    static Path blob(String name) {
        return testdata().resolve(name);
    }

    /**
     * The builder's report for a blob ({@code <name without extension>.json}); the legacy-footer variant shares
     * the TOC and content of {@code small1-default}, whose report it gets.
     */
    static JsonNode report(String blobName) throws IOException {
        String base = blobName.substring(0, blobName.lastIndexOf('.')).replace("-legacyfooter", "");
        return ManifestContent.JSON.readTree(testdata().resolve(base + ".json").toFile());
    }

    /** A layer descriptor for a reference blob, with its TOC digest annotation. */
    static Descriptor layer(String blobName) throws IOException {
        byte[] bytes = Files.readAllBytes(blob(blobName));
        return new Descriptor(MediaTypes.OCI_LAYER_GZIP, Digest.sha256(bytes), bytes.length, List.of(),
                Map.of(Annotations.TOC_DIGEST, report(blobName).get("tocDigest").asText()), null);
    }

    /** Pushes an OCI image with {@code layerBlobs} as layers and a config for {@code platform}. */
    static Pushed push(RegistryClient client, ImageReference ref, List<String> layerBlobs, Platform platform)
            throws IOException {
        List<Descriptor> layers = new ArrayList<>();
        List<String> diffIds = new ArrayList<>();
        for (String name : layerBlobs) {
            Descriptor d = layer(name);
            client.pushBlob(ref, BlobContent.of(blob(name), d.digest()), null);
            layers.add(d);
            diffIds.add(report(name).get("diffID").asText());
        }
        ObjectNode config = ManifestContent.JSON.createObjectNode();
        config.put("architecture", platform.architecture()).put("os", platform.os());
        if (!platform.variant().isEmpty()) {
            config.put("variant", platform.variant());
        }
        config.putObject("rootfs").put("type", "layers").putPOJO("diff_ids", diffIds);
        byte[] configBytes = ManifestContent.JSON.writeValueAsBytes(config);
        BlobContent configContent = BlobContent.of(configBytes);
        client.pushBlob(ref, configContent, null);
        ImageManifest manifest = new ImageManifest(2, MediaTypes.OCI_MANIFEST,
                Descriptor.of(MediaTypes.OCI_CONFIG, configContent.digest(), configBytes.length), layers, Map.of());
        byte[] bytes = ManifestContent.JSON.writeValueAsBytes(manifest);
        Digest digest = client.putManifest(ref, MediaTypes.OCI_MANIFEST, bytes);
        return new Pushed(ref, bytes, digest, layers);
    }

    /** Pushes an index over already pushed images, under {@code ref}'s tag. */
    static Digest pushIndex(RegistryClient client, ImageReference ref, Map<Platform, Pushed> images)
            throws IOException {
        List<Descriptor> entries = new ArrayList<>();
        images.forEach((platform, image) -> entries.add(new Descriptor(MediaTypes.OCI_MANIFEST, image.digest(),
                image.manifest().length, List.of(), Map.of(), platform)));
        byte[] index = ManifestContent.JSON.writeValueAsBytes(
                new ImageIndex(2, MediaTypes.OCI_INDEX, entries, Map.of()));
        return client.putManifest(ref, MediaTypes.OCI_INDEX, index);
    }

    /** Opens a layer with the estargz reader, checking its TOC against the builder's report. */
    static LayerIndex open(BlobSource blob, String blobName, int tailSize) throws IOException {
        return EstargzReader.open(blob, OpenOptions.defaults(blobName).withTailSize(tailSize)
                .withExpectedTocDigest(report(blobName).get("tocDigest").asText()));
    }
}
