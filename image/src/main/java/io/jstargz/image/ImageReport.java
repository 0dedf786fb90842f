package io.jstargz.image;

import io.jstargz.remote.Digest;
import java.util.List;

/**
 * What happened to one image manifest (one platform).
 *
 * @param platform       {@code os/arch[/variant]}
 * @param sourceManifest the manifest's digest before
 * @param manifest       the manifest's digest after (the same when nothing changed)
 * @param layers         per layer, lowest first
 * @param unprioritized  prioritized paths no layer of this image provides
 */
public record ImageReport(String platform, Digest sourceManifest, Digest manifest, List<LayerReport> layers,
                          List<String> unprioritized) {
    public ImageReport {
        layers = List.copyOf(layers);
        unprioritized = List.copyOf(unprioritized);
    }
}
