package io.jstargz.snapshotter;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jstargz.testing.CommandResult;
import io.jstargz.testing.Containerd;
import io.jstargz.testing.Processes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The containerd configuration snippet in dist/ is one containerd accepts and reads as intended. */
class DistFilesTest {

    @Test
    void containerdReadsTheSnippet() throws Exception {
        Path snippet = Path.of(System.getProperty("jstargz.repo"), "dist", "containerd-config.toml");
        CommandResult dump = Processes.run(List.of(Containerd.CONTAINERD.toString(), "--config", snippet.toString(),
                "config", "dump"), Duration.ofSeconds(30));
        String out = dump.orThrow();
        assertTrue(out.contains("[proxy_plugins.jstargz]") && out.contains("address = \"/run/jstargz/jstargz.sock\"")
                && out.contains("type = \"snapshot\""), out);
        assertTrue(out.contains("snapshotter = \"jstargz\"") && out.contains("disable_snapshot_annotations = false"),
                out);
    }
}
