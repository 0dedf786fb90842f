package io.jstargz.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.jstargz.mount.FileTrees;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * The DaemonSet's container settings, for real: the image {@code make image} builds (scripts/image.sh) runs in the
 * node's own containerd with {@code ctr run} and exactly the privileges, host paths, propagation, command and config
 * that dist/kubernetes/jstargz.yaml gives it (read from the manifest, with each host path moved under a temporary
 * directory, in the pod as on the node, and in its config too: the mount points jstargz reports to containerd are
 * paths on the node, so the manifest mounts each host directory at its own path). That containerd then pulls an
 * image lazily through it and runs it; the container is restarted, and the node still sees the layers' mounts and
 * runs the image again.
 */
class DaemonSetIT {
    private static final String NS = "jstargz-daemonset";
    private static final Duration DEADLINE = Duration.ofSeconds(120);
    private static final Duration IMAGE_BUILD_DEADLINE = Duration.ofMinutes(20);
    private static final String CONTAINER = "jstargz-daemonset";

    /** What the pod spec asks of the node, read from the manifest. */
    private record PodSpec(boolean privileged, boolean hostNetwork, List<String> command,
                           List<JsonNode> volumeMounts, Map<String, JsonNode> volumes, Map<String, String> config) {
        static PodSpec read(Path manifest) throws IOException {
            ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
            JsonNode daemonSet = null;
            Map<String, String> config = new HashMap<>();
            for (JsonNode doc : yaml.readValues(yaml.createParser(manifest.toFile()), JsonNode.class).readAll()) {
                switch (doc.path("kind").asText()) {
                    case "DaemonSet" -> daemonSet = doc;
                    case "ConfigMap" -> doc.path("data").properties().forEach(e -> config.put(e.getKey(),
                            e.getValue().asText()));
                    default -> { }
                }
            }
            JsonNode pod = daemonSet.path("spec").path("template").path("spec");
            JsonNode container = pod.path("containers").get(0);
            List<String> command = new ArrayList<>();
            container.path("command").forEach(c -> command.add(c.asText()));
            container.path("args").forEach(a -> command.add(a.asText()));
            Map<String, JsonNode> volumes = new HashMap<>();
            pod.path("volumes").forEach(v -> volumes.put(v.path("name").asText(), v));
            List<JsonNode> mounts = new ArrayList<>();
            container.path("volumeMounts").forEach(mounts::add);
            return new PodSpec(container.path("securityContext").path("privileged").asBoolean(),
                    pod.path("hostNetwork").asBoolean(), command, mounts, volumes, config);
        }
    }

    @Test
    void theManifestsContainerServesTheNodesContainerdAndItsMountsOutliveARestart(
            @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path tmp) throws Exception {
        PodSpec pod = PodSpec.read(DaemonProcess.REPO.resolve("dist/kubernetes/jstargz.yaml"));
        assertTrue(pod.privileged() && pod.hostNetwork(), "a privileged pod on the host's network: " + pod);
        Path layout = tmp.resolve("image");
        Command.of(DaemonProcess.REPO.resolve("scripts/image.sh").toString(), layout.toString())
                .run(IMAGE_BUILD_DEADLINE).orThrow();

        // the node's paths the manifest mounts, each moved under tmp; /dev/fuse is the node's own
        Path node = tmp.resolve("node");
        Map<String, Path> hostPaths = Map.of("/var/lib/jstargz", node.resolve("var/lib/jstargz"),
                "/run/jstargz", node.resolve("run/jstargz"), "/dev/fuse", Path.of("/dev/fuse"));
        Path root = Files.createDirectories(hostPaths.get("/var/lib/jstargz"));
        Path socket = Files.createDirectories(hostPaths.get("/run/jstargz")).resolve("jstargz.sock");
        // Bidirectional propagation needs the host path on a shared mount, as kubelet requires of the node
        run("mount", "--bind", root.toString(), root.toString());
        try (RegistryServer registry = RegistryServer.start();
             Containerd containerd = Containerd.start(new Containerd.Options(tmp.resolve("containerd"), socket,
                     root, false))) {
            run("mount", "--make-shared", root.toString());
            String imageRef = "docker.io/library/jstargz:test";
            containerd.ctr(NS, "image", "import", "--base-name", "docker.io/library/jstargz", "--index-name",
                    imageRef, layout + ".tar").orThrow();
            List<String> ctrRun = ctrRun(pod, containerd, hostPaths, tmp.resolve("configmap"), imageRef);

            TestImage image;
            try (RegistryClient client = RegistryClient.create(RegistryConfig.builder()
                    .hostsDir(Path.of("/nonexistent")).build(), CredentialStore.ANONYMOUS)) {
                image = TestImage.pushEstargz(client, registry.host() + "/e2e/busybox:daemonset");
            }
            DaemonProcess daemon = DaemonProcess.start(ctrRun, socket, tmp.resolve("daemonset.log"));
            try {
                daemon.awaitContainerdConnected(containerd, NS);
                containerd.ctrRemote(NS, "image", "rpull", "--plain-http", "--snapshotter",
                        Containerd.SNAPSHOTTER, image.ref()).orThrow();
                assertEquals(TestImage.OUTPUT, image.run(containerd, NS, "lazy-1"));
                for (String digest : image.layerDigests()) {
                    assertEquals(1, daemon.logLines("mounted lazily").stream().filter(l -> l.contains(digest))
                            .count(), "layer " + digest + " mounted lazily in the pod");
                }
                assertEquals(image.layerDigests().size(), fuseMountsUnder(root).size(),
                        "the node sees the pod's layer mounts: " + fuseMountsUnder(root));

                daemon.stop();
                assertEquals(List.of(), fuseMountsUnder(root), "the pod unmounted its layers when it stopped");
                daemon = DaemonProcess.start(ctrRun, socket, tmp.resolve("daemonset.log"));
                for (String digest : image.layerDigests()) {
                    daemon.awaitLog(DEADLINE, digest, "mounted lazily", "(restored");
                }
                assertEquals(image.layerDigests().size(), fuseMountsUnder(root).size(),
                        "the node sees the restarted pod's mounts: " + fuseMountsUnder(root));
                daemon.awaitContainerdConnected(containerd, NS);
                assertEquals(TestImage.OUTPUT, image.run(containerd, NS, "lazy-2"));
            } finally {
                daemon.close();
            }
        } finally {
            FileTrees.detachAllUnder(root);
        }
    }

    /** {@code ctr run} with what the pod spec asks: privileges, network, each volume mount, command and args. */
    private static List<String> ctrRun(PodSpec pod, Containerd containerd, Map<String, Path> hostPaths,
                                       Path configMapDir, String imageRef) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(containerd.release().ctr().toString(), "--address",
                containerd.address().toString(), "--namespace", NS, "run", "--rm"));
        if (pod.privileged()) {
            cmd.add("--privileged");
        }
        if (pod.hostNetwork()) {
            cmd.add("--net-host");
        }
        for (JsonNode m : pod.volumeMounts()) {
            JsonNode volume = pod.volumes().get(m.path("name").asText());
            Path source;
            String target = m.path("mountPath").asText();
            if (volume.has("hostPath")) {
                String path = volume.path("hostPath").path("path").asText();
                source = hostPaths.get(path);
                if (source == null) {
                    throw new AssertionError("the manifest mounts host path " + path + ", which this test does not"
                            + " map: add it to hostPaths");
                }
                assertEquals(path, target, "host path " + path + " is mounted at the same path in the pod");
                target = source.toString();
            } else if (volume.has("configMap")) {
                source = Files.createDirectories(configMapDir);
                for (Map.Entry<String, String> e : pod.config().entrySet()) {
                    String text = e.getValue();
                    for (Map.Entry<String, Path> h : hostPaths.entrySet()) {
                        text = text.replace("\"" + h.getKey(), "\"" + h.getValue());
                    }
                    // debug: the test waits for containerd's connection, which the daemon logs at debug level
                    Files.writeString(source.resolve(e.getKey()), "log_level = \"debug\"\n" + text);
                }
            } else {
                throw new AssertionError("the manifest has a volume of a kind this test does not know: " + volume);
            }
            String options = "rbind:" + (m.path("readOnly").asBoolean() ? "ro" : "rw");
            if (m.path("mountPropagation").asText().equals("Bidirectional")) {
                // what containerd's CRI plugin does for Bidirectional: the mount and the container's root rshared
                options += ":rshared";
                cmd.addAll(List.of("--rootfs-propagation", "rshared"));
            }
            cmd.addAll(List.of("--mount", "type=bind,src=" + source + ",dst=" + target + ",options=" + options));
        }
        cmd.add(imageRef);
        cmd.add(CONTAINER);
        cmd.addAll(pod.command());
        return cmd;
    }

    /** The FUSE mounts the node (this test's mount namespace) sees under {@code root}. */
    private static List<String> fuseMountsUnder(Path root) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] f = line.split(" ");
            int dash = List.of(f).indexOf("-");
            if (f[4].startsWith(root + "/") && f[dash + 1].startsWith("fuse")) {
                out.add(f[4]);
            }
        }
        return out;
    }

    private static void run(String... command) throws IOException {
        Command.of(command).run(DEADLINE).orThrow();
    }
}
