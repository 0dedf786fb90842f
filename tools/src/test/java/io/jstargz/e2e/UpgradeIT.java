package io.jstargz.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jstargz.mount.MountTable;
import io.jstargz.remote.RegistryClient;
import io.jstargz.remote.RegistryConfig;
import io.jstargz.remote.auth.CredentialStore;
import io.jstargz.testing.Containerd;
import io.jstargz.testing.RegistryServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13: a running container keeps reading its lazily pulled layers while the daemon is upgraded 10 times in a
 * row ({@code jstargz serve --takeover}, what {@code systemctl reload} runs). Real: containerd and runc, the registry on
 * 127.0.0.1, each {@code jstargz serve} as its own process (the launcher's JDK, the kernel FUSE binding), the FUSE
 * mounts, and the container: a loop in it drops the page cache and checks the sha256 of every file of its image.
 */
class UpgradeIT {
    private static final String NS = "jstargz-upgrade";
    private static final Duration DEADLINE = Duration.ofSeconds(180);
    private static final int UPGRADES = 10;
    private static final Pattern TOOK_OVER = Pattern.compile("took over from pid (\\d+): (\\d+) layer mounts adopted,"
            + " serving (\\d+) ms after asking");
    /**
     * One pass of the reader: drop the page cache (the container is privileged), then every file of the image (not
     * /out, /proc, /sys, /dev: other filesystems). A pass that cannot drop the cache reads nothing.
     */
    private static final String PASS = "echo 3 > /proc/sys/vm/drop_caches && for f in $(find / -xdev -type f); do"
            + " sha256sum \"$f\" 2>&1; done";

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path tmp;

    @Test
    void aRunningContainerReadsEveryFileCorrectlyThroughTenUpgrades() throws Exception {
        try (RegistryServer registry = RegistryServer.start()) {
            TestImage image;
            try (RegistryClient client = RegistryClient.create(RegistryConfig.builder()
                    .hostsDir(Path.of("/nonexistent")).build(), CredentialStore.ANONYMOUS)) {
                image = TestImage.pushEstargz(client, registry.host() + "/e2e/busybox:upgrade");
            }
            Path socket = tmp.resolve("run/jstargz.sock");
            Path config = Files.writeString(tmp.resolve("config.toml"), "root = \"" + tmp.resolve("root") + "\"\n"
                    + "address = \"" + socket + "\"\nlog_level = \"debug\"\n"
                    + "[registry]\nhosts_dir = \"" + tmp.resolve("certs.d") + "\"\n" + DaemonProcess.fuseConfig());
            DaemonProcess daemon = DaemonProcess.start(config, socket, tmp.resolve("jstargz-0.log"));
            Process reader = null;
            try (Containerd containerd = Containerd.start(new Containerd.Options(tmp.resolve("containerd"), socket,
                    tmp.resolve("root"), false))) {
                containerd.ctrRemote(NS, "image", "rpull", "--plain-http", "--snapshotter", Containerd.SNAPSHOTTER,
                        image.ref()).orThrow();
                // the passes write to a file the test mounts: ctr's copy of a container's output can lose its last
                // lines when the container exits (it lost two of the baseline's six once)
                Path out = Files.createDirectory(tmp.resolve("out"));
                String bind = "type=bind,src=" + out + ",dst=/out,options=rbind:rw";
                containerd.ctr(NS, "run", "--rm", "--privileged", "--snapshotter", Containerd.SNAPSHOTTER, "--mount",
                        bind, image.ref(), "upgrade-baseline", "sh", "-c", "{ " + PASS + "; } > /out/baseline")
                        .orThrow();
                Set<String> expected = new HashSet<>(Files.readAllLines(out.resolve("baseline")));
                assertTrue(expected.stream().anyMatch(l -> l.endsWith("  /bin/busybox"))
                        && expected.stream().anyMatch(l -> l.endsWith("  /data/hello.txt")), expected.toString());

                reader = new ProcessBuilder(containerd.release().ctr().toString(), "--address",
                        containerd.address().toString(), "--namespace", NS, "run", "--rm", "--privileged",
                        "--snapshotter", Containerd.SNAPSHOTTER, "--mount", bind, image.ref(), "upgrade-reader", "sh",
                        "-c", "while [ ! -e /out/stop ]; do " + PASS + "; done > /out/reads")
                        .redirectErrorStream(true).redirectOutput(tmp.resolve("reader.log").toFile()).start();
                Map<String, String> layers = mountedLayers(daemon, image);
                Map<String, String> devices = devices(layers);
                String snapshots = containerd.ctr(NS, "snapshot", "--snapshotter", Containerd.SNAPSHOTTER, "ls")
                        .orThrow();

                List<Long> serving = new ArrayList<>();
                for (int i = 1; i <= UPGRADES; i++) {
                    DaemonProcess old = daemon;
                    daemon = DaemonProcess.start(List.of(DaemonProcess.CLI.toString(), "serve", "--config",
                            config.toString(), "--takeover"), socket, tmp.resolve("jstargz-" + i + ".log"));
                    assertEquals(0, old.awaitExit(DEADLINE), "upgrade " + i + ": the old daemon exits cleanly");
                    Matcher took = TOOK_OVER.matcher(daemon.awaitLog(DEADLINE, "took over from pid"));
                    assertTrue(took.find());
                    assertEquals(old.pid(), Long.parseLong(took.group(1)));
                    assertEquals(image.layerDigests().size(), Integer.parseInt(took.group(2)),
                            "upgrade " + i + ": every layer's mount was handed over");
                    serving.add(Long.parseLong(took.group(3)));
                    assertEquals(layers, mountedLayers(daemon, image), "upgrade " + i + ": jstargz status");
                    assertEquals(devices, devices(layers), "upgrade " + i + ": the same mounts, adopted");
                    assertEquals(snapshots, containerd.ctr(NS, "snapshot", "--snapshotter", Containerd.SNAPSHOTTER,
                            "ls").orThrow(), "upgrade " + i + ": containerd lists the same snapshots");
                    assertTrue(reader.isAlive(), "upgrade " + i + ": the container still runs");
                }
                Files.createFile(out.resolve("stop"));
                assertTrue(reader.waitFor(DEADLINE.toSeconds(), TimeUnit.SECONDS), "the container ends");
                assertEquals(0, reader.exitValue(), "the container's loop exits cleanly");
                List<String> lines = Files.readAllLines(out.resolve("reads"));
                List<String> wrong = lines.stream().filter(l -> !expected.contains(l)).toList();
                System.out.println("upgrades: " + UPGRADES + " handovers under a running container, " + wrong.size()
                        + " of " + lines.size() + " reads failed or read wrong bytes; the new daemon served, ms"
                        + " after asking: " + serving);
                assertEquals(List.of(), wrong, "reads that failed or read wrong bytes");
                assertTrue(lines.size() > expected.size(), "the container read through the upgrades");
            } finally {
                if (reader != null) {
                    reader.destroyForcibly();
                }
                daemon.close();
            }
        }
    }

    /** The mount point of each of {@code image}'s layers in {@code jstargz status --json}, each MOUNTED. */
    private static Map<String, String> mountedLayers(DaemonProcess daemon, TestImage image) throws Exception {
        Map<String, String> out = new TreeMap<>();
        for (JsonNode s : daemon.status().values()) {
            JsonNode r = s.path("remote");
            if (image.layerDigests().contains(r.path("layerDigest").asText())) {
                assertEquals("MOUNTED", r.path("state").asText(), r.toString());
                out.put(r.path("layerDigest").asText(), r.path("mountPoint").asText());
            }
        }
        assertEquals(image.layerDigests().size(), out.size(), out.toString());
        return out;
    }

    /** The mount table's device of each mount point in {@code layers}. */
    private static Map<String, String> devices(Map<String, String> layers) throws Exception {
        Map<String, String> out = new TreeMap<>();
        for (String mp : layers.values()) {
            out.put(mp, MountTable.at(Path.of(mp)).orElseThrow().device());
        }
        return out;
    }
}
