package io.jstargz.remote;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** An OCI image index or a Docker manifest list: one manifest per platform. */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record ImageIndex(int schemaVersion, String mediaType, List<Descriptor> manifests,
                         Map<String, String> annotations) {

    public ImageIndex {
        manifests = manifests == null ? List.of() : List.copyOf(manifests);
        annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
    }

    /**
     * The first image manifest for {@code platform}, in index order (entries without a platform and non-image
     * entries such as attestations are skipped).
     */
    public Descriptor select(Platform platform) throws NotFoundException {
        for (Descriptor d : manifests) {
            if (d.platform() != null && MediaTypes.isManifest(d.mediaType()) && platform.matches(d.platform())) {
                return d;
            }
        }
        throw new NotFoundException("no manifest for platform " + platform + " in the index; it has "
                + manifests.stream().map(Descriptor::platform).filter(Objects::nonNull).map(Platform::toString)
                .toList());
    }
}
