package io.jstargz.snapshotter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jstargz.snapshotter.config.Config;
import io.jstargz.snapshotter.proto.introspection.Layer;
import io.jstargz.snapshotter.proto.introspection.ListLayersRequest;
import io.jstargz.testing.BusyboxImage;
import io.jstargz.process.CommandResult;
import io.jstargz.testing.Containerd;
import io.jstargz.testing.OciImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real containerd 1.6 with jstargz as its proxy snapshotter: import a three-layer busybox image (one layer with a
 * whiteout), run a container from it with runc, and manage the snapshots with {@code ctr snapshot}.
 */
@SuppressWarnings("try") // a daemon kept open for the block
class ContainerdIntegrationTest {
    private static final String NS = "jstargz-test";

    @Test
    void containerdImportsAndRunsImagesOnJstargz(@TempDir Path tmp) throws Exception {
        Config config = Config.defaults().withRoot(tmp.resolve("root")).withAddress(tmp.resolve("run/jstargz.sock"))
                .withWarmUp(false);
        OciImage image = BusyboxImage.threeLayers(tmp.resolve("image"), "test/bb:3");
        Path tar = image.exportTar(tmp.resolve("bb.tar"));
        List<String> chain = chainIds(image.diffIds());
        try (Daemon daemon = Daemon.start(config);
             Containerd containerd = Containerd.start(new Containerd.Options(tmp.resolve("containerd"),
                     config.address(), config.root(), false));
             GrpcClient client = new GrpcClient(config.address())) {
            containerd.ctr(NS, "images", "import", "--snapshotter", "jstargz", tar.toString()).orThrow();

            String out = containerd.ctr(NS, "run", "--snapshotter", "jstargz", "--rm", "test/bb:3", "c1",
                    "sh", "-c", "cat /data/hello.txt; ls /data; cat /etc/motd; echo written > /tmp/f; cat /tmp/f")
                    .orThrow();
            assertEquals("hello from layer 2\nhello.txt\nlayer 3\nwritten\n", out);

            String ls = containerd.ctr(NS, "snapshot", "--snapshotter", "jstargz", "ls").orThrow();
            for (String id : chain) {
                assertTrue(ls.contains(id), ls);
            }
            JsonNode info = new ObjectMapper().readTree(containerd.ctr(NS, "snapshot", "--snapshotter", "jstargz",
                    "info", chain.get(2)).orThrow());
            assertEquals("Committed", info.get("Kind").asText());
            assertEquals(chain.get(1), info.get("Parent").asText());

            // the container's own snapshot goes when containerd's garbage collector runs: look at the layers
            List<Layer> layers = client.introspection().listLayers(ListLayersRequest.newBuilder().setNamespace(NS)
                    .build()).getLayersList().stream().filter(l -> l.getKind().equals("committed")).toList();
            assertEquals(3, layers.size(), layers::toString);
            for (Layer l : layers) {
                assertEquals(NS, l.getNamespace());
                // containerd 1.6's import unpacks without the snapshot.ref label: no remote-layer decision
                assertFalse(l.hasRemote(), l.toString());
            }

            CommandResult busy = containerd.ctr(NS, "snapshot", "--snapshotter", "jstargz", "rm", chain.get(1));
            assertFalse(busy.ok(), busy.output());
            containerd.ctr(NS, "snapshot", "--snapshotter", "jstargz", "rm", chain.get(2)).orThrow();
            assertFalse(containerd.ctr(NS, "snapshot", "--snapshotter", "jstargz", "ls").orThrow()
                    .contains(chain.get(2)));
            containerd.ctr(NS, "images", "rm", "--sync", "test/bb:3").orThrow();
            assertEquals(List.of(), client.introspection().listLayers(ListLayersRequest.getDefaultInstance())
                    .getLayersList());
            try (var dirs = Files.list(config.root().resolve("snapshots"))) {
                assertEquals(List.of(), dirs.toList(), "removal freed every snapshot directory");
            }
        }
    }

    /** containerd's chain IDs: chain(0) = diff(0), chain(n) = sha256(chain(n-1) + " " + diff(n)). */
    private static List<String> chainIds(List<String> diffIds) {
        List<String> out = new ArrayList<>();
        for (String d : diffIds) {
            out.add(out.isEmpty() ? d : OciImage.digest((out.get(out.size() - 1) + " " + d)
                    .getBytes(StandardCharsets.UTF_8)));
        }
        return out;
    }
}
