package io.jstargz.snapshotter.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The labels {@code jstargz pull} sends, read back as the daemon reads a Prepare's labels. */
class LayerRequestTest {
    private static final String REF = "127.0.0.1:5000/app:1";

    private static String digest(int i) {
        return "sha256:" + String.format("%064x", i);
    }

    @Test
    void pullLabelsNameTheLayerTheImageAndItsTocDigest() {
        Map<String, String> labels = LayerRequest.pullLabels("sha256:chain", REF, digest(2),
                List.of(digest(1), digest(2), digest(3)), digest(9));
        LayerRequest request = LayerRequest.fromLabels(labels, false).orElseThrow();
        assertEquals("sha256:chain", request.target());
        assertEquals(REF, request.imageRef());
        assertEquals(digest(2), request.layerDigest());
        assertEquals(List.of(digest(1), digest(3)), request.neighbours());
        assertEquals(digest(9), request.expectedTocDigest().orElseThrow());
        assertEquals(digest(2), labels.get("containerd.io/snapshot/remote/stargz.digest"), "ctr-remote's labels too");
    }

    @Test
    void withoutATocDigestTheLayerIsRefusedAndTheLayersListFitsInALabel() {
        List<String> layers = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            layers.add(digest(i));
        }
        Map<String, String> labels = LayerRequest.pullLabels("c", REF, digest(0), layers, null);
        assertTrue(LayerRequest.fromLabels(labels, true).orElseThrow().refusal().orElseThrow()
                .contains("no TOC digest annotation"));
        labels.forEach((k, v) -> assertTrue(k.length() + v.length() <= 4096, k));
        String kept = labels.get("containerd.io/snapshot/cri.image-layers");
        assertTrue(kept.startsWith(digest(0) + "," + digest(1)) && kept.split(",").length < 100, kept);
    }

    @Test
    void aRestoredLayerKnowsTheImagesOtherLayersFromItsSnapshotsLabels() {
        Map<String, String> labels = LayerRequest.committed(LayerRequest.pullLabels("sha256:chain", REF, digest(2),
                List.of(digest(1), digest(2), digest(3)), digest(9)));
        RemoteLayerRecord record = new RemoteLayerRecord(7, "sha256:chain", REF, digest(2), digest(9),
                Path.of("/var/lib/jstargz/snapshots/7/fs"), RemoteLayerState.FAILED, "restarted", Instant.EPOCH);
        LayerRequest request = LayerRequest.ofRecord(record, labels);
        assertEquals(List.of(digest(1), digest(3)), request.neighbours());
        assertEquals(digest(9), request.expectedTocDigest().orElseThrow());
        assertEquals(List.of(), LayerRequest.ofRecord(record, Map.of()).neighbours(), "a snapshot without labels");
    }

    @Test
    void theTargetFilterIsTheOneContainerdListsWith() {
        // containerd's metadata store: fmt.Sprintf(`labels.%q==%s,parent==%q`, LabelSnapshotRef, target, bparent)
        assertEquals("labels.\"containerd.io/snapshot.ref\"==sha256:c2,parent==\"sha256:c1\"",
                LayerRequest.targetFilter("sha256:c2", "sha256:c1"));
        assertEquals("labels.\"containerd.io/snapshot.ref\"==sha256:c1,parent==\"\"",
                LayerRequest.targetFilter("sha256:c1", ""));
    }
}
