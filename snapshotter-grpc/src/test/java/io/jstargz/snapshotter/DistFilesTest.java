package io.jstargz.snapshotter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jstargz.process.Command;
import io.jstargz.process.CommandResult;
import io.jstargz.snapshotter.config.Config;
import io.jstargz.snapshotter.config.MemoryBudget;
import io.jstargz.testing.Containerd;
import io.jstargz.testing.ContainerdRelease;
import io.jstargz.text.Sizes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The containerd configurations in dist/ are complete files: containerd 1.6 and 2.1 boot on them as they are, load
 * the jstargz proxy snapshotter and CRI, and read the settings as intended.
 */
class DistFilesTest {
    @TempDir
    Path tmp;

    /** Boots {@code release} on the dist file as is and returns {@code ctr plugins ls}. */
    private String pluginsOnBoot(ContainerdRelease release, String file) throws Exception {
        Path config = Path.of(System.getProperty("jstargz.repo"), "dist", file);
        try (Containerd c = Containerd.startWithConfig(new Containerd.Options(tmp.resolve("containerd"),
                tmp.resolve("unused.sock"), tmp.resolve("unused"), true, release), config)) {
            String plugins = c.ctr("default", "plugins", "ls").orThrow();
            if (release.equals(ContainerdRelease.V2_1)) {
                String deprecations = c.ctr("default", "deprecations", "list").orThrow();
                assertEquals("", deprecations.strip(), "no deprecated settings");
            }
            // no warning or error but those of the machine: no devmapper thin pool, no CNI network config
            assertEquals(List.of(), c.logText().lines().filter(l -> l.matches(".*level=(warning|error).*")
                    && !l.contains("devmapper") && !l.contains("failed to load cni during init")).toList());
            return plugins;
        }
    }

    private static boolean loaded(String plugins, String type, String id) {
        return plugins.lines().anyMatch(l -> l.matches(Pattern.quote(type) + "\\s+" + Pattern.quote(id)
                + "\\s+.*\\bok\\s*"));
    }

    @Test
    void containerd16BootsOnItsFileAsIs() throws Exception {
        String plugins = pluginsOnBoot(ContainerdRelease.V1_6, "containerd-config.toml");
        assertTrue(loaded(plugins, "io.containerd.snapshotter.v1", "jstargz"), plugins);
        assertTrue(loaded(plugins, "io.containerd.grpc.v1", "cri"), plugins);
    }

    @Test
    void containerd21BootsOnItsFileAsIs() throws Exception {
        String plugins = pluginsOnBoot(ContainerdRelease.V2_1, "containerd2-config.toml");
        assertTrue(loaded(plugins, "io.containerd.snapshotter.v1", "jstargz"), plugins);
        assertTrue(loaded(plugins, "io.containerd.cri.v1", "images"), plugins);
        assertTrue(loaded(plugins, "io.containerd.grpc.v1", "cri"), plugins);
    }

    private static String dump(ContainerdRelease release, String file) throws Exception {
        Path snippet = Path.of(System.getProperty("jstargz.repo"), "dist", file);
        return Command.of(release.containerd().toString(), "--config", snippet.toString(), "config",
                "dump").run(Duration.ofSeconds(30)).orThrow();
    }

    @Test
    void containerd16ReadsItsSnippet() throws Exception {
        String out = dump(ContainerdRelease.V1_6, "containerd-config.toml");
        assertTrue(out.contains("[proxy_plugins.jstargz]") && out.contains("address = \"/run/jstargz/jstargz.sock\"")
                && out.contains("type = \"snapshot\""), out);
        assertTrue(out.contains("snapshotter = \"jstargz\"") && out.contains("disable_snapshot_annotations = false"),
                out);
    }

    @Test
    void containerd21ReadsItsSnippet() throws Exception {
        String out = dump(ContainerdRelease.V2_1, "containerd2-config.toml");
        assertTrue(out.contains("[proxy_plugins.jstargz]") && out.contains("address = '/run/jstargz/jstargz.sock'")
                && out.contains("enable_remote_snapshot_annotations = 'true'"), out);
        String images = out.substring(out.indexOf("[plugins.'io.containerd.cri.v1.images']"));
        assertTrue(images.lines().skip(1).findFirst().orElse("").contains("snapshotter = 'jstargz'"), images);
        assertTrue(out.contains("[[plugins.'io.containerd.transfer.v1.local'.unpack_config]]\n      platform = 'linux'"
                + "\n      snapshotter = 'jstargz'"), out);
        // annotations through the transfer service: the CRI setting that would turn it off stays at its default
        assertFalse(images.contains("disable_snapshot_annotations = false"), images);
    }

    @Test
    void theSystemdUnitIsValidAndBoundsMemoryAboveTheBudget() throws Exception {
        Path repo = Path.of(System.getProperty("jstargz.repo"));
        String unit = Files.readString(repo.resolve("dist/jstargz.service"));
        // as make install writes it: ExecStart pointing at an installed launcher
        Path installed = Files.writeString(tmp.resolve("jstargz.service"), unit.replaceAll("(?m)^ExecStart=.*",
                "ExecStart=" + repo.resolve("bin/jstargz") + " serve"));
        CommandResult verify = Command.of("systemd-analyze", "verify", installed.toString())
                .run(Duration.ofSeconds(60));
        assertEquals(0, verify.exitCode(), verify.output());
        assertEquals("", verify.output().strip(), "no unknown or misplaced settings");

        long budget = MemoryBudget.of(Config.defaults()).processBoundBytes();
        long high = Sizes.parse(setting(unit, "MemoryHigh"));
        long max = Sizes.parse(setting(unit, "MemoryMax"));
        assertTrue(high >= budget + (128L << 20), "MemoryHigh leaves room for page cache above " + budget);
        assertTrue(max > high, "MemoryMax above MemoryHigh");
        assertEquals("-999", setting(unit, "OOMScoreAdjust"));
    }

    private static String setting(String unit, String key) {
        return unit.lines().filter(l -> l.startsWith(key + "=")).map(l -> l.substring(key.length() + 1))
                .findFirst().orElseThrow(() -> new AssertionError("no " + key + " in the unit"));
    }
}
