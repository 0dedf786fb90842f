package io.jstargz.image;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jstargz.remote.Descriptor;
import io.jstargz.remote.Digest;
import io.jstargz.remote.MediaTypes;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Rewrites configs, manifests and indexes as containerd's converter does ({@code images/converter/default.go}):
 * Docker media types become OCI ones, layer descriptors are replaced, {@code rootfs.diff_ids} follow the new layers
 * (and the legacy {@code config.Image}/{@code container_config.Image} IDs, which name the old layers, are cleared);
 * every other field is written back as it was. A document nothing changed in keeps its exact bytes.
 */
final class ManifestWriter {
    private ManifestWriter() {
    }

    /** A JSON document and its descriptor. */
    record Written(Descriptor descriptor, byte[] bytes) {
    }

    /** The image's config with the new diffIDs, or the original when no layer's content changed. */
    static Written config(ImageTree.Image image, List<LayerReport> layers) throws IOException {
        Descriptor old = image.manifest().config();
        String type = Manifests.toOci(old.mediaType());
        boolean changed = layers.stream().anyMatch(l -> l.diffId() != null);
        if (!changed) {
            return new Written(Descriptor.of(type, old.digest(), old.size()), image.configBytes());
        }
        ObjectNode config = image.config().deepCopy();
        ArrayNode diffIds = (ArrayNode) config.path("rootfs").path("diff_ids");
        for (int i = 0; i < layers.size(); i++) {
            if (layers.get(i).diffId() != null) {
                diffIds.set(i, layers.get(i).diffId());
            }
        }
        for (String field : List.of("config", "container_config")) {
            if (config.get(field) instanceof ObjectNode o) {
                o.remove("Image");
            }
        }
        byte[] bytes = Json.bytes(config);
        return new Written(Descriptor.of(type, Digest.sha256(bytes), bytes.length), bytes);
    }

    /** The manifest with the new config and layers, as OCI; the original bytes when nothing changed. */
    static Written manifest(ImageTree.Image image, Written config, List<LayerReport> layers) throws IOException {
        boolean changed = !MediaTypes.OCI_MANIFEST.equals(image.content().mediaType())
                || !config.descriptor().equals(image.manifest().config())
                || layers.stream().anyMatch(l -> !l.target().equals(l.source()));
        if (!changed) {
            return new Written(image.descriptor(), image.content().bytes());
        }
        ObjectNode json = image.json().deepCopy();
        json.put("mediaType", MediaTypes.OCI_MANIFEST);
        json.set("config", descriptor((ObjectNode) json.get("config"), config.descriptor()));
        ArrayNode layerNodes = (ArrayNode) json.get("layers");
        for (int i = 0; i < layers.size(); i++) {
            layerNodes.set(i, descriptor((ObjectNode) layerNodes.get(i), layers.get(i).target()));
        }
        return written(MediaTypes.OCI_MANIFEST, json);
    }

    /** The index over the written children (dropped entries left out), as OCI; the original when unchanged. */
    static Written index(ImageTree.Index index, List<Written> children) throws IOException {
        boolean changed = !MediaTypes.OCI_INDEX.equals(index.content().mediaType())
                || children.size() != index.json().path("manifests").size();
        for (int i = 0; i < children.size() && !changed; i++) {
            changed = !children.get(i).descriptor().digest().equals(index.children().get(i).descriptor().digest());
        }
        if (!changed) {
            return new Written(index.descriptor(), index.content().bytes());
        }
        ObjectNode json = index.json().deepCopy();
        json.put("mediaType", MediaTypes.OCI_INDEX);
        ArrayNode entries = json.putArray("manifests");
        for (int i = 0; i < children.size(); i++) {
            entries.add(descriptor(index.entries().get(i), children.get(i).descriptor()));
        }
        return written(MediaTypes.OCI_INDEX, json);
    }

    private static Written written(String mediaType, ObjectNode json) throws IOException {
        byte[] bytes = Json.bytes(json);
        return new Written(Descriptor.of(mediaType, Digest.sha256(bytes), bytes.length), bytes);
    }

    /** {@code original} with the media type, digest, size, urls and annotations of {@code target}. */
    static ObjectNode descriptor(ObjectNode original, Descriptor target) {
        ObjectNode node = original.deepCopy();
        node.put("mediaType", target.mediaType());
        node.put("digest", target.digest().toString());
        node.put("size", target.size());
        if (target.urls().isEmpty()) {
            node.remove("urls");
        }
        if (target.annotations().isEmpty()) {
            node.remove("annotations");
        } else if (!target.annotations().equals(annotations(original))) {
            ObjectNode annotations = node.putObject("annotations");
            new TreeMap<>(target.annotations()).forEach(annotations::put);
        }
        return node;
    }

    private static Map<String, String> annotations(ObjectNode descriptor) {
        Map<String, String> out = new TreeMap<>();
        descriptor.path("annotations").properties().forEach(e -> out.put(e.getKey(), e.getValue().asText()));
        return out;
    }
}
