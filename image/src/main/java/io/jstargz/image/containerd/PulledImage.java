package io.jstargz.image.containerd;

import io.jstargz.remote.Descriptor;
import java.util.List;

/**
 * What {@code jstargz pull} did.
 *
 * @param name     the image's name in containerd
 * @param target   the image record's target: the index or manifest the reference names
 * @param manifest the image manifest of the platform pulled
 * @param layers   each layer, lowest first
 */
public record PulledImage(String name, Descriptor target, Descriptor manifest, List<Layer> layers) {

    /** How a layer got its snapshot. */
    public enum Outcome {
        /** The snapshotter mounted it from the registry: nothing was downloaded. */
        REMOTE,
        /** It fell back: downloaded into the content store and unpacked by containerd. */
        UNPACKED,
        /** Its snapshot was there already. */
        PRESENT
    }

    /** One layer: its descriptor, the chain ID its snapshot is committed under, and how. */
    public record Layer(Descriptor descriptor, String chainId, Outcome outcome) {
    }

    public PulledImage {
        layers = List.copyOf(layers);
    }
}
