package io.jstargz.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jstargz.image.ImageChecks.LayoutImage;
import io.jstargz.remote.RegistryClient;
import io.jstargz.remote.RegistryConfig;
import io.jstargz.remote.auth.CredentialStore;
import io.jstargz.testing.BusyboxImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code optimize} with real parts: the busybox image's layers mounted with jstargz's FUSE filesystem, stacked with
 * overlayfs, the workload run by runc; the recorded files end up first in the layers that provide them.
 */
class ImageOptimizeTest {

    private static ImageOptimizer.Report optimize(Path tmp, List<String> command, Duration period)
            throws IOException {
        return optimize(tmp, command, WorkloadSettings.NONE, period);
    }

    private static ImageOptimizer.Report optimize(Path tmp, List<String> command, WorkloadSettings settings,
                                                  Duration period) throws IOException {
        ImageOptimizer.Options options = new ImageOptimizer.Options(ImageConvertOptions.defaults(), command, settings,
                period, tmp);
        try (RegistryClient client = RegistryClient.create(RegistryConfig.builder().hostsDir(tmp.resolve("none"))
                .build(), CredentialStore.ANONYMOUS);
             ImageSource src = ImageLocation.parse("oci:" + tmp.resolve("src") + ":bb").openSource(client);
             ImageSink sink = ImageLocation.parse("oci:" + tmp.resolve("dst") + ":opt").openSink(client, null)) {
            return new ImageOptimizer(options, ConvertListener.NONE).optimize(src, sink);
        }
    }

    /** Mount points at or below {@code dir}. */
    private static List<String> mountsUnder(Path dir) throws IOException {
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().map(l -> l.split(" ")[4])
                .filter(mp -> mp.startsWith(dir.toAbsolutePath().toString())).toList();
    }

    @Test
    void recordsTheFilesTheWorkloadReadsInOrderAndPutsThemFirst(@TempDir Path tmp) throws Exception {
        BusyboxImage.threeLayers(tmp.resolve("src"), "bb");
        ImageOptimizer.Report report = optimize(tmp, List.of("sh", "-c",
                "cat /etc/motd /data/hello.txt /etc/hostname"), Duration.ofSeconds(30));
        assertEquals(0, report.exitCode(), report.output());
        assertEquals("layer 3\nhello from layer 2\nbusybox", report.output());

        List<String> paths = report.recorded().stream().map(RecordFile.Entry::path).toList();
        List<String> read = List.of("bin/busybox", "etc/motd", "data/hello.txt", "etc/hostname");
        assertEquals(read, paths.stream().filter(read::contains).toList(), "recorded in order: " + paths);
        for (RecordFile.Entry e : report.recorded()) {
            int expected = switch (e.path()) {
                case "etc/motd" -> 2;
                case "data/hello.txt" -> 1;
                default -> 0;
            };
            assertEquals(expected, e.layerIndex(), "the layer that provides " + e.path());
        }

        LayoutImage out = ImageChecks.image(tmp.resolve("dst"), "opt");
        ImageChecks.checkEstargz(out);
        List<List<String>> firstInLayers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            firstInLayers.add(ImageChecks.prioritized(out.blob(out.manifest().layers().get(i))));
        }
        assertEquals(List.of("data/hello.txt"), firstInLayers.get(1));
        assertEquals(List.of("etc/motd"), firstInLayers.get(2));
        List<String> base = firstInLayers.get(0);
        assertEquals(List.of("bin/busybox", "etc/hostname"), base.stream().filter(read::contains).toList(), "" + base);
        assertEquals(paths.stream().filter(p -> !List.of("etc/motd", "data/hello.txt").contains(p)).toList(), base);
        try (var left = Files.list(tmp)) {
            assertEquals(List.of("dst", "src"), left.map(p -> p.getFileName().toString()).sorted().toList(),
                    "the work directory is gone");
        }
    }

    @Test
    void envUserCwdEntrypointArgsMountsAndTheHostsNetworkApplyToTheWorkload(@TempDir Path tmp) throws Exception {
        BusyboxImage.threeLayers(tmp.resolve("src"), "bb");
        Path host = Files.createDirectories(tmp.resolve("host"));
        Files.writeString(host.resolve("x"), "from the host");
        WorkloadSettings settings = new WorkloadSettings(List.of("FOO=bar", "PATH=/bin"),
                List.of(WorkloadSettings.Mount.parse("type=bind,src=" + host + ",dst=/host,options=ro")), "nobody",
                "/tmp", true, List.of("sh", "-c"), List.of("echo $FOO $PATH; pwd; id -u; id -g; cat /host/x; echo;"
                + " readlink /proc/self/ns/net; touch /host/y || echo read-only"));
        ImageOptimizer.Report report = optimize(tmp, List.of(), settings, Duration.ofSeconds(30));
        assertEquals(0, report.exitCode(), report.output());
        String hostNet = Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString();
        assertEquals(List.of("bar /bin", "/tmp", "65534", "65534", "from the host", hostNet, "read-only"),
                report.output().lines().filter(l -> !l.contains("Read-only file system")).toList(), report.output());
    }

    @Test
    void mountSpecsAreParsedAsCtrWritesThemAndBadOnesAreNamed() {
        assertEquals(new WorkloadSettings.Mount("bind", "/a", "/b", List.of("ro", "rbind")),
                WorkloadSettings.Mount.parse("type=bind,source=/a,destination=/b,options=ro"));
        assertEquals(new WorkloadSettings.Mount("tmpfs", "tmpfs", "/scratch", List.of("size=1m")),
                WorkloadSettings.Mount.parse("type=tmpfs,target=/scratch,options=size=1m"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> WorkloadSettings.Mount.parse("type=bind,dst=/b"));
        assertEquals("mount 'type=bind,dst=/b' needs source=", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> WorkloadSettings.Mount.parse("src=/a,to=/b"));
        assertTrue(e.getMessage().contains("unknown key 'to'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new WorkloadSettings(List.of("NOEQUALS"), List.of(), "",
                "", false, List.of(), null));
    }

    @Test
    void aWorkloadStillRunningAtTheEndOfThePeriodIsStoppedAndWhatItReadIsKept(@TempDir Path tmp) throws Exception {
        BusyboxImage.threeLayers(tmp.resolve("src"), "bb");
        long start = System.nanoTime();
        ImageOptimizer.Report report = optimize(tmp, List.of("sh", "-c", "cat /etc/motd; exec sleep 600"),
                Duration.ofSeconds(2));
        assertEquals(-1, report.exitCode());
        assertTrue(Duration.ofNanos(System.nanoTime() - start).toSeconds() < 60, "stopped, not waited for");
        assertTrue(report.recorded().stream().anyMatch(e -> e.path().equals("etc/motd")), "" + report.recorded());
        assertEquals(List.of(), mountsUnder(tmp));
        LayoutImage out = ImageChecks.image(tmp.resolve("dst"), "opt");
        assertEquals(List.of("etc/motd"), ImageChecks.prioritized(out.blob(out.manifest().layers().get(2))));
    }

    @Test
    void aFailureAfterMountingLeavesNothingMounted(@TempDir Path tmp) throws Exception {
        BusyboxImage.threeLayers(tmp.resolve("src"), "bb");
        TestImages.edit(tmp.resolve("src"), "bb", manifest -> { },
                config -> ((ObjectNode) config.get("config")).put("User", "ghost"));
        IOException e = assertThrows(IOException.class, () -> optimize(tmp, List.of(), Duration.ofSeconds(5)));
        assertTrue(e.getMessage().contains("'ghost' is not in its /etc/passwd"), e.getMessage());
        assertEquals(List.of(), mountsUnder(tmp));
        try (var left = Files.list(tmp)) {
            assertEquals(List.of("src"), left.map(p -> p.getFileName().toString()).sorted().toList(),
                    "no work directory, and no destination written");
        }
    }
}
