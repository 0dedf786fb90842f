package io.jstargz.image;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jstargz.process.Command;
import io.jstargz.remote.Descriptor;
import io.jstargz.remote.MediaTypes;
import io.jstargz.testing.BusyboxImage;
import io.jstargz.process.CommandResult;
import io.jstargz.testing.LayerBuilder;
import io.jstargz.testing.OciImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/** Images the tests convert, built locally from busybox-static, and the external tools run on them. */
final class TestImages {
    static final Path SKOPEO = Path.of("/usr/bin/skopeo");
    static final Path UMOCI = Path.of("/usr/bin/umoci");
    private static final Duration TOOL_DEADLINE = Duration.ofSeconds(180);

    private TestImages() {
    }

    /** The one-layer busybox image as an OCI layout, tagged {@code bb}. */
    static OciImage busybox(Path dir) throws IOException {
        return BusyboxImage.singleLayer(dir, "bb");
    }

    /**
     * A three-layer image written by umoci over the busybox layer, tagged {@code layered}: layer 2 adds
     * {@code /data/hello.txt}, {@code /data/gone.txt} and {@code /etc/motd}; layer 3 deletes {@code /data/gone.txt}
     * (a whiteout) and rewrites {@code /etc/hostname}, and, as umoci writes layers, has no entry for the unchanged
     * directory {@code /etc}.
     */
    static Path layered(Path dir) throws IOException {
        busybox(dir);
        Path work = Files.createTempDirectory("jstargz-umoci-");
        try {
            Path b1 = work.resolve("b1");
            umoci("unpack", "--image", dir + ":bb", b1.toString());
            Path root = b1.resolve("rootfs");
            Files.createDirectories(root.resolve("data"));
            Files.writeString(root.resolve("data/hello.txt"), "hello from layer 2\n");
            Files.writeString(root.resolve("data/gone.txt"), "gone\n");
            Files.writeString(root.resolve("etc/motd"), "layer 2\n");
            umoci("repack", "--image", dir + ":l2", b1.toString());
            Path b2 = work.resolve("b2");
            umoci("unpack", "--image", dir + ":l2", b2.toString());
            root = b2.resolve("rootfs");
            Files.delete(root.resolve("data/gone.txt"));
            Files.writeString(root.resolve("etc/hostname"), "layered\n");
            umoci("repack", "--image", dir + ":layered", b2.toString());
        } finally {
            Command.of("rm", "-rf", work.toString()).run(TOOL_DEADLINE);
        }
        return dir;
    }

    /**
     * A two-platform image as an OCI layout tagged {@code multi}: {@code index.json} points to an image index with a
     * linux/amd64 image (the busybox layer and a small layer) and a linux/arm64 image (a different base layer and the
     * same small layer), plus a buildx-style attestation manifest.
     */
    static Path multiPlatform(Path dir) throws IOException {
        Files.createDirectories(dir.resolve("blobs/sha256"));
        LayerBuilder shared = new LayerBuilder().file("app/config.txt", "shared by both platforms\n");
        ObjectNode amd64 = writeImage(dir, List.of(BusyboxImage.baseLayer(), shared), "amd64");
        ObjectNode arm64 = writeImage(dir, List.of(new LayerBuilder().file("bin/tool", "arm64 tool\n"), shared),
                "arm64");
        ObjectNode attestation = amd64.deepCopy();
        attestation.putObject("platform").put("os", "unknown").put("architecture", "unknown");
        attestation.putObject("annotations").put("vnd.docker.reference.type", "attestation-manifest")
                .put("vnd.docker.reference.digest", amd64.get("digest").asText());
        ObjectNode index = Json.MAPPER.createObjectNode();
        index.put("schemaVersion", 2).put("mediaType", MediaTypes.OCI_INDEX);
        index.putArray("manifests").add(amd64).add(arm64).add(attestation);
        ObjectNode top = blob(dir, MediaTypes.OCI_INDEX, Json.bytes(index));
        top.putObject("annotations").put(OciLayoutDir.REF_NAME, "multi");
        ObjectNode layout = Json.MAPPER.createObjectNode();
        layout.put("schemaVersion", 2).putArray("manifests").add(top);
        Files.write(dir.resolve("index.json"), Json.bytes(layout));
        Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        return dir;
    }

    private static ObjectNode writeImage(Path dir, List<LayerBuilder> layers, String arch) throws IOException {
        ObjectNode config = Json.MAPPER.createObjectNode();
        config.put("architecture", arch).put("os", "linux");
        config.putObject("config").putArray("Cmd").add("sh");
        config.putObject("rootfs").put("type", "layers");
        ObjectNode manifest = Json.MAPPER.createObjectNode();
        manifest.put("schemaVersion", 2).put("mediaType", MediaTypes.OCI_MANIFEST);
        var layerNodes = manifest.putArray("layers");
        var diffIds = ((ObjectNode) config.get("rootfs")).putArray("diff_ids");
        for (LayerBuilder layer : layers) {
            byte[] tar = layer.tar();
            diffIds.add(OciImage.digest(tar));
            layerNodes.add(blob(dir, MediaTypes.OCI_LAYER_GZIP, LayerBuilder.gzip(tar)));
        }
        manifest.set("config", blob(dir, MediaTypes.OCI_CONFIG, Json.bytes(config)));
        ObjectNode d = blob(dir, MediaTypes.OCI_MANIFEST, Json.bytes(manifest));
        d.putObject("platform").put("os", "linux").put("architecture", arch);
        return d;
    }

    private static ObjectNode blob(Path dir, String mediaType, byte[] bytes) throws IOException {
        String digest = OciImage.digest(bytes);
        Files.write(dir.resolve("blobs/sha256").resolve(digest.substring("sha256:".length())), bytes);
        ObjectNode d = Json.MAPPER.createObjectNode();
        d.put("mediaType", mediaType).put("digest", digest).put("size", bytes.length);
        return d;
    }

    /** Rewrites the manifest and config of the image tagged {@code tag} in a layout (and its index entry). */
    static void edit(Path dir, String tag, Consumer<ObjectNode> manifestEdit, Consumer<ObjectNode> configEdit)
            throws IOException {
        OciLayoutDir layout = new OciLayoutDir(dir);
        Descriptor entry = layout.find(tag);
        ObjectNode manifest = Json.object(Files.readAllBytes(layout.blob(entry.digest())), "manifest");
        Descriptor configDesc = Json.read(manifest.get("config"), Descriptor.class, "config");
        ObjectNode config = Json.object(Files.readAllBytes(layout.blob(configDesc.digest())), "config");
        configEdit.accept(config);
        manifest.set("config", blob(dir, configDesc.mediaType(), Json.bytes(config)));
        manifestEdit.accept(manifest);
        ObjectNode m = blob(dir, entry.mediaType(), Json.bytes(manifest));
        layout.tag(Json.read(m, Descriptor.class, "manifest"), tag);
    }

    static String umoci(String... args) throws IOException {
        return run(UMOCI, args);
    }

    static String skopeo(String... args) throws IOException {
        List<String> all = new ArrayList<>(List.of("--insecure-policy"));
        all.addAll(Arrays.asList(args));
        return run(SKOPEO, all.toArray(String[]::new));
    }

    private static String run(Path tool, String... args) throws IOException {
        if (!Files.isExecutable(tool)) {
            throw new IllegalStateException(tool + " is missing: install it (scripts/setup.sh)");
        }
        List<String> cmd = new ArrayList<>(List.of(tool.toString()));
        cmd.addAll(Arrays.asList(args));
        CommandResult r = Command.of(cmd).run(TOOL_DEADLINE);
        return r.orThrow();
    }
}
