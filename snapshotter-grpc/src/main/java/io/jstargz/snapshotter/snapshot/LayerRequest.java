package io.jstargz.snapshotter.snapshot;

import io.jstargz.estargz.Annotations;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the labels of a Prepare ask for, decided once, at the top (as the reference's {@code GetSources(labels)}):
 * which snapshot to commit the layer under, which layer of which image it is, the image's other layers, how much to
 * prefetch, and whether it may be mounted lazily: with its TOC checked against the digest its manifest gives, with no
 * check at all, or not (with the reason). The one class that knows the label keys: everything below it takes this
 * request.
 *
 * <p>The layer is found from the CRI labels first, then from ctr-remote's stargz labels (stargz-snapshotter's order).
 *
 * @param target       the {@code containerd.io/snapshot.ref} label: the chain ID to commit the layer under
 * @param imageRef     the image reference, e.g. {@code 127.0.0.1:5000/busybox:1}, or {@code ""} when none is named
 * @param layerDigest  the layer blob's digest, or {@code ""} when none is named
 * @param neighbours   digests of the image's other layers (for parallel resolution)
 * @param prefetchSize bytes to prefetch from a layer without a prefetch landmark, when ctr-remote asks
 * @param verification whether and how the layer's TOC is checked
 */
public record LayerRequest(String target, String imageRef, String layerDigest, List<String> neighbours,
                           OptionalLong prefetchSize, Verification verification) {
    private static final Logger LOG = LoggerFactory.getLogger(LayerRequest.class);

    /** Set by containerd's unpacker on Prepare: the chain ID to commit the layer under. */
    private static final String TARGET = "containerd.io/snapshot.ref";
    /** Marks a committed snapshot whose content is a lazily mounted remote layer (stargz-snapshotter's label). */
    private static final String REMOTE = "containerd.io/snapshot/remote";
    private static final String REMOTE_VALUE = "remote snapshot";
    private static final String CRI_IMAGE_REF = "containerd.io/snapshot/cri.image-ref";
    private static final String CRI_LAYER_DIGEST = "containerd.io/snapshot/cri.layer-digest";
    private static final String CRI_IMAGE_LAYERS = "containerd.io/snapshot/cri.image-layers";
    private static final String STARGZ_REFERENCE = "containerd.io/snapshot/remote/stargz.reference";
    private static final String STARGZ_DIGEST = "containerd.io/snapshot/remote/stargz.digest";
    private static final String STARGZ_LAYERS = "containerd.io/snapshot/remote/stargz.layers";
    /** The layer descriptor's annotation, which containerd passes on as a label. */
    private static final String TOC_DIGEST = Annotations.TOC_DIGEST;
    private static final String SKIP_VERIFY = "containerd.io/snapshot/remote/stargz.skipverify";
    /** ctr-remote's label: bytes to prefetch from a layer that has no prefetch landmark. */
    private static final String PREFETCH_SIZE = "containerd.io/snapshot/remote/stargz.prefetch";
    /** containerd refuses a label whose key and value together are longer. */
    private static final int MAX_LABEL_BYTES = 4096;

    /** Whether the layer may be mounted lazily, and how its TOC is checked. */
    public sealed interface Verification {
        /** Mount it if its TOC has this digest. */
        record Expect(String tocDigest) implements Verification {
        }

        /** Mount it without checking its TOC: the user asked to ({@code stargz.skipverify}) and may. */
        record Skip() implements Verification {
        }

        /** Do not mount it: it is pulled normally, for {@code reason}. */
        record Refuse(String reason) implements Verification {
        }
    }

    public LayerRequest {
        neighbours = List.copyOf(neighbours);
    }

    /**
     * The request of a Prepare's labels, or empty when they name no target (an ordinary Prepare, not the unpacking of
     * a layer).
     *
     * @param allowNoVerification whether {@code stargz.skipverify} may skip the TOC check ({@code
     *                            allow_no_verification})
     */
    public static Optional<LayerRequest> fromLabels(Map<String, String> labels, boolean allowNoVerification) {
        String target = labels.getOrDefault(TARGET, "");
        if (target.isEmpty()) {
            return Optional.empty();
        }
        OptionalLong prefetch = prefetchSize(labels.get(PREFETCH_SIZE));
        for (String[] keys : new String[][] {
                {CRI_IMAGE_REF, CRI_LAYER_DIGEST, CRI_IMAGE_LAYERS},
                {STARGZ_REFERENCE, STARGZ_DIGEST, STARGZ_LAYERS}}) {
            String ref = labels.getOrDefault(keys[0], "");
            String digest = labels.getOrDefault(keys[1], "");
            if (!ref.isEmpty() && !digest.isEmpty()) {
                return Optional.of(new LayerRequest(target, ref, digest, neighbours(labels.get(keys[2]), digest),
                        prefetch, verification(labels, allowNoVerification)));
            }
        }
        return Optional.of(new LayerRequest(target, "", "", List.of(), prefetch, new Verification.Refuse(
                "the labels name no image and layer digest (for CRI set disable_snapshot_annotations = false)")));
    }

    /** The target a snapshot's labels name ({@code containerd.io/snapshot.ref}), if any. */
    public static Optional<String> target(Map<String, String> labels) {
        return Optional.ofNullable(labels.get(TARGET)).filter(t -> !t.isEmpty());
    }

    /**
     * The filter containerd's metadata store lists snapshots with when a Prepare answers ALREADY_EXISTS, to find the
     * committed snapshot of {@code target} on {@code parent}: what the warm-up and the training run list with.
     */
    public static String targetFilter(String target, String parent) {
        return "labels.\"" + TARGET + "\"==" + target + ",parent==\"" + parent + "\"";
    }

    /** Why the layer is pulled normally, or empty when it may be mounted lazily. */
    public Optional<String> refusal() {
        return verification instanceof Verification.Refuse r ? Optional.of(r.reason()) : Optional.empty();
    }

    /** The TOC digest the layer must have, if it is checked. */
    public Optional<String> expectedTocDigest() {
        return verification instanceof Verification.Expect e ? Optional.of(e.tocDigest()) : Optional.empty();
    }

    /**
     * The request of a layer mounted before, to mount it again: its record says which layer and which TOC it was
     * mounted with, its snapshot's labels (its Prepare's) how much to prefetch and which layers the image has.
     */
    public static LayerRequest ofRecord(RemoteLayerRecord record, Map<String, String> labels) {
        String layers = labels.containsKey(CRI_IMAGE_LAYERS) ? labels.get(CRI_IMAGE_LAYERS) : labels.get(STARGZ_LAYERS);
        return new LayerRequest(record.snapshotName(), record.imageRef(), record.layerDigest(),
                neighbours(layers, record.layerDigest()), prefetchSize(labels.get(PREFETCH_SIZE)),
                new Verification.Expect(record.tocDigest()));
    }

    /** The labels the layer's snapshot is committed with: the Prepare's, marked as a remote snapshot. */
    public static Map<String, String> committed(Map<String, String> labels) {
        Map<String, String> out = new HashMap<>(labels);
        out.put(REMOTE, REMOTE_VALUE);
        return out;
    }

    /**
     * The labels of a Prepare that asks for {@code layerDigest} of {@code imageRef} as CRI sends them: what the
     * daemon's own training run pulls.
     */
    public static Map<String, String> criLabels(String target, String imageRef, String layerDigest,
                                                List<String> layers, String tocDigest) {
        return Map.of(TARGET, target, CRI_IMAGE_REF, imageRef, CRI_LAYER_DIGEST, layerDigest,
                CRI_IMAGE_LAYERS, String.join(",", layers), TOC_DIGEST, tocDigest);
    }

    /**
     * The labels of a Prepare that asks for {@code layerDigest} of {@code imageRef} as {@code jstargz pull} sends them:
     * the CRI labels and ctr-remote's stargz labels, the layer's TOC digest when its descriptor has one, and as many
     * of the image's layers as fit in a label (as ctr-remote, which drops the rest).
     */
    public static Map<String, String> pullLabels(String target, String imageRef, String layerDigest,
                                                 List<String> layers, String tocDigest) {
        Map<String, String> labels = new HashMap<>();
        labels.put(TARGET, target);
        for (String[] keys : new String[][] {
                {CRI_IMAGE_REF, CRI_LAYER_DIGEST, CRI_IMAGE_LAYERS},
                {STARGZ_REFERENCE, STARGZ_DIGEST, STARGZ_LAYERS}}) {
            labels.put(keys[0], imageRef);
            labels.put(keys[1], layerDigest);
            labels.put(keys[2], layersFitting(keys[2], layers));
        }
        if (tocDigest != null) {
            labels.put(TOC_DIGEST, tocDigest);
        }
        return labels;
    }

    private static String layersFitting(String key, List<String> layers) {
        StringBuilder value = new StringBuilder();
        for (String layer : layers) {
            int length = key.length() + value.length() + (value.isEmpty() ? 0 : 1) + layer.length();
            if (length > MAX_LABEL_BYTES) {
                break;
            }
            value.append(value.isEmpty() ? "" : ",").append(layer);
        }
        return value.toString();
    }

    private static Verification verification(Map<String, String> labels, boolean allowNoVerification) {
        String toc = labels.getOrDefault(TOC_DIGEST, "");
        if (!toc.isEmpty()) {
            return new Verification.Expect(toc);
        }
        if (labels.containsKey(SKIP_VERIFY)) {
            return allowNoVerification ? new Verification.Skip() : new Verification.Refuse("it has no TOC digest, and"
                    + " skipping verification (stargz.skipverify) is not allowed: allow_no_verification = false");
        }
        return new Verification.Refuse("it has no TOC digest annotation (" + TOC_DIGEST + "): not an eStargz layer");
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

    private static OptionalLong prefetchSize(String label) {
        if (label == null) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Math.max(0, Long.parseLong(label.trim())));
        } catch (NumberFormatException e) {
            LOG.warn("ignoring label {}={}: not a number of bytes", PREFETCH_SIZE, label);
            return OptionalLong.empty();
        }
    }
}
