package io.jstargz.snapshotter;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jstargz.process.Command;
import io.jstargz.testing.ContainerdRelease;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The containerd configuration snippets in dist/ are ones containerd 1.6 and 2.1 accept and read as intended. */
class DistFilesTest {

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
}
