package io.jstargz.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jstargz.estargz.Annotations;
import io.jstargz.estargz.Digests;
import io.jstargz.remote.BlobContent;
import io.jstargz.remote.Descriptor;
import io.jstargz.remote.ImageManifest;
import io.jstargz.remote.ImageReference;
import io.jstargz.remote.MediaTypes;
import io.jstargz.remote.RegistryClient;
import io.jstargz.remote.RegistryConfig;
import io.jstargz.remote.auth.CredentialStore;
import io.jstargz.testing.RegistryServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jstargz mount} through the packaged CLI ({@code bin/jstargz}): real mounts, signals and SIGKILL. */
class MountCommandIT {
    private static final Path REPO = Paths.get(System.getProperty("jstargz.repo", "..")).toAbsolutePath();
    private static final Path VECTORS = REPO.resolve("testdata/estargz");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String APP_SHA256 = "495f9acc3c42fd78970d94a425ead3e80c9dc362a6f6d20be63712381cd53eb5";

    @TempDir
    Path tmp;

    @Test
    void mountsALocalBlobAndUnmountsCleanlyOnSigterm() throws Exception {
        Path mnt = Files.createDirectory(tmp.resolve("mnt"));
        Process p = start("mount", "--blob", VECTORS.resolve("small1-default.esgz").toString(),
                "--cache-dir", tmp.resolve("cache").toString(), mnt.toString());
        try {
            assertTrue(awaitLine(p).startsWith("mounted "));
            assertEquals(APP_SHA256, sha256(mnt.resolve("bin/app")));
            assertEquals("fuse.jstargz", fsType(mnt).orElseThrow());
            p.destroy(); // SIGTERM
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "jstargz mount exits");
            assertEquals(Optional.empty(), fsType(mnt), "unmounted");
            assertTrue(Files.isDirectory(mnt));
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void sigkillLeavesNoDeadMountBehind() throws Exception {
        Path mnt = Files.createDirectory(tmp.resolve("mnt"));
        Process p = start("mount", "--blob", VECTORS.resolve("small1-chunk64k-prio.esgz").toString(),
                "--cache-dir", tmp.resolve("cache").toString(), mnt.toString());
        try {
            assertTrue(awaitLine(p).startsWith("mounted "));
            List<ProcessHandle> children = p.toHandle().children().toList();
            assertFalse(children.isEmpty(), "the mount watchdog runs");
            p.destroyForcibly(); // SIGKILL: no shutdown hook runs
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            for (ProcessHandle child : children) {
                child.onExit().get(30, TimeUnit.SECONDS);
            }
            assertEquals(Optional.empty(), fsType(mnt), "the watchdog unmounted the layer");
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void mountsAnImageLayerFromTheRegistryByIndexWithDebugLogging() throws Exception {
        try (RegistryServer registry = RegistryServer.start();
             RegistryClient client = RegistryClient.create(RegistryConfig.builder()
                     .hostsDir(Path.of("/nonexistent")).build(), CredentialStore.ANONYMOUS)) {
            ImageReference ref = ImageReference.parse(registry.host() + "/jstargz/mount-test:1");
            push(client, ref, List.of("small1-chunk64k-prio.esgz", "small1-default.esgz"));
            Path mnt = Files.createDirectory(tmp.resolve("mnt"));
            Path stderr = tmp.resolve("stderr");
            Process p = new ProcessBuilder(REPO.resolve("bin/jstargz").toString(), "--debug", "mount", ref.toString(),
                    "--layer", "1", "--cache-dir", tmp.resolve("cache").toString(), mnt.toString())
                    .redirectError(stderr.toFile()).start();
            try {
                String line = awaitLine(p);
                assertTrue(line.startsWith("mounted sha256:"), line);
                assertEquals(APP_SHA256, sha256(mnt.resolve("bin/app")));
                assertFalse(Files.exists(mnt.resolve(".no.prefetch.landmark")), "the landmark is hidden");
                p.destroy();
                assertTrue(p.waitFor(60, TimeUnit.SECONDS));
                String log = Files.readString(stderr);
                assertTrue(log.contains("read #") && log.contains(" us"), "--debug logs operations: " + log);
            } finally {
                p.destroyForcibly();
            }
        }
    }

    private static Process start(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(REPO.resolve("bin/jstargz").toString()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    /** The first line the command prints (it says where it mounted), within a minute. */
    private static String awaitLine(Process p) throws Exception {
        CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
            try {
                return new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))
                        .readLine();
            } catch (IOException e) {
                return "error: " + e;
            }
        });
        String s = line.get(60, TimeUnit.SECONDS);
        return s == null ? "(no output, exit " + (p.isAlive() ? "-" : p.exitValue()) + ")" : s;
    }

    private static String sha256(Path file) throws IOException {
        return Digests.hex(Digests.sha256().digest(Files.readAllBytes(file)));
    }

    /** The filesystem type mounted at {@code dir}, from /proc/self/mountinfo. */
    private static Optional<String> fsType(Path dir) throws IOException {
        try (Stream<String> lines = Files.lines(Path.of("/proc/self/mountinfo"))) {
            return lines.map(l -> l.split(" ")).filter(f -> f[4].equals(dir.toString()))
                    .map(f -> f[List.of(f).indexOf("-") + 1]).reduce((a, b) -> b);
        }
    }

    private static void push(RegistryClient client, ImageReference ref, List<String> blobs) throws IOException {
        List<Descriptor> layers = new ArrayList<>();
        List<String> diffIds = new ArrayList<>();
        for (String name : blobs) {
            Path blob = VECTORS.resolve(name);
            JsonNode report = JSON.readTree(VECTORS.resolve(name.replaceAll("\\.esgz$", ".json")).toFile());
            BlobContent content = BlobContent.of(blob);
            client.pushBlob(ref, content, null);
            layers.add(new Descriptor(MediaTypes.OCI_LAYER_GZIP, content.digest(), content.size(), List.of(),
                    Map.of(Annotations.TOC_DIGEST, report.get("tocDigest").asText()), null));
            diffIds.add(report.get("diffID").asText());
        }
        ObjectNode config = JSON.createObjectNode().put("architecture", "amd64").put("os", "linux");
        config.putObject("rootfs").put("type", "layers").putPOJO("diff_ids", diffIds);
        byte[] configBytes = JSON.writeValueAsBytes(config);
        BlobContent configContent = BlobContent.of(configBytes);
        client.pushBlob(ref, configContent, null);
        ImageManifest manifest = new ImageManifest(2, MediaTypes.OCI_MANIFEST,
                Descriptor.of(MediaTypes.OCI_CONFIG, configContent.digest(), configBytes.length), layers, Map.of());
        client.putManifest(ref, MediaTypes.OCI_MANIFEST, JSON.writeValueAsBytes(manifest));
    }
}
