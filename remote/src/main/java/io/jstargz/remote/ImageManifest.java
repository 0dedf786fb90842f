package io.jstargz.remote;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/** An image manifest: OCI image manifest v1 or Docker image manifest v2 schema 2 (same shape). */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record ImageManifest(int schemaVersion, String mediaType, Descriptor config, List<Descriptor> layers,
                            Map<String, String> annotations) {

    public ImageManifest {
        if (config == null) {
            throw new IllegalArgumentException("image manifest without a config descriptor");
        }
        layers = layers == null ? List.of() : List.copyOf(layers);
        annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
    }

    /** The layer with this digest. */
    public Descriptor layer(Digest digest) throws NotFoundException {
        for (Descriptor layer : layers) {
            if (layer.digest().equals(digest)) {
                return layer;
            }
        }
        throw new NotFoundException("the manifest has no layer " + digest);
    }
}
