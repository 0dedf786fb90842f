package io.jstargz.snapshotter.snapshot;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where a layer lives, as the Prepare labels tell it: CRI labels first, then ctr-remote's stargz labels
 * (stargz-snapshotter's order).
 *
 * @param imageRef    the image reference, e.g. {@code 127.0.0.1:5000/busybox:1}
 * @param layerDigest the layer blob's digest
 * @param neighbours  digests of the image's other layers named by the layers label (for parallel resolution)
 * @param tocDigest   the TOC digest the layer must have, from {@code containerd.io/snapshot/stargz/toc.digest}
 */
public record LayerSource(String imageRef, String layerDigest, List<String> neighbours, Optional<String> tocDigest) {
    public static final String CRI_IMAGE_REF = "containerd.io/snapshot/cri.image-ref";
    public static final String CRI_LAYER_DIGEST = "containerd.io/snapshot/cri.layer-digest";
    public static final String CRI_IMAGE_LAYERS = "containerd.io/snapshot/cri.image-layers";
    public static final String STARGZ_REFERENCE = "containerd.io/snapshot/remote/stargz.reference";
    public static final String STARGZ_DIGEST = "containerd.io/snapshot/remote/stargz.digest";
    public static final String STARGZ_LAYERS = "containerd.io/snapshot/remote/stargz.layers";
    public static final String TOC_DIGEST = "containerd.io/snapshot/stargz/toc.digest";

    public LayerSource {
        neighbours = List.copyOf(neighbours);
    }

    /** The source named by the labels, or empty when they do not name one. */
    public static Optional<LayerSource> fromLabels(Map<String, String> labels) {
        Optional<String> toc = Optional.ofNullable(labels.get(TOC_DIGEST)).filter(s -> !s.isEmpty());
        for (String[] keys : new String[][] {
                {CRI_IMAGE_REF, CRI_LAYER_DIGEST, CRI_IMAGE_LAYERS},
                {STARGZ_REFERENCE, STARGZ_DIGEST, STARGZ_LAYERS}}) {
            String ref = labels.getOrDefault(keys[0], "");
            String digest = labels.getOrDefault(keys[1], "");
            if (!ref.isEmpty() && !digest.isEmpty()) {
                return Optional.of(new LayerSource(ref, digest, neighbours(labels.get(keys[2]), digest), toc));
            }
        }
        return Optional.empty();
    }

    private static List<String> neighbours(String layersLabel, String self) {
        List<String> out = new ArrayList<>();
        if (layersLabel != null) {
            for (String d : layersLabel.split(",")) {
                String t = d.trim();
                if (!t.isEmpty() && !t.equals(self)) {
                    out.add(t);
                }
            }
        }
        return out;
    }
}
