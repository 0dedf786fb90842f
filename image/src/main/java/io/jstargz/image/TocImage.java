package io.jstargz.image;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jstargz.estargz.ExternalTocSource;
import io.jstargz.remote.BlobContent;
import io.jstargz.remote.Descriptor;
import io.jstargz.remote.Digest;
import io.jstargz.remote.MediaTypes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * The image that holds the TOCs of layers converted with an external TOC, as the reference's converter writes it
 * ({@code nativeconverter/estargz/externaltoc}): tagged as the image with {@code -esgztoc} appended, an empty config,
 * and one {@code tar+gzip} layer per TOC blob, sorted by digest, each annotated with the digest of the layer whose
 * TOC it is, which is how a reader finds it (see {@link ExternalTocSource}).
 */
final class TocImage {
    private static final byte[] EMPTY_CONFIG = "{}".getBytes(StandardCharsets.US_ASCII);

    private TocImage() {
    }

    /** Writes the TOC image of {@code tocs} (layer digest to TOC blob) beside the destination's tag. */
    static Digest write(ImageSink sink, Map<Digest, byte[]> tocs) throws IOException {
        Descriptor config = Descriptor.of(MediaTypes.OCI_CONFIG, Digest.sha256(EMPTY_CONFIG), EMPTY_CONFIG.length);
        sink.putBlob(config, BlobContent.of(EMPTY_CONFIG), null);
        TreeMap<String, ObjectNode> layers = new TreeMap<>();
        for (Map.Entry<Digest, byte[]> toc : tocs.entrySet()) {
            Digest digest = Digest.sha256(toc.getValue());
            sink.putBlob(Descriptor.of(MediaTypes.OCI_LAYER_GZIP, digest, toc.getValue().length),
                    BlobContent.of(toc.getValue()), null);
            ObjectNode layer = Json.MAPPER.createObjectNode();
            layer.put("mediaType", MediaTypes.OCI_LAYER_GZIP);
            layer.put("digest", digest.toString());
            layer.put("size", toc.getValue().length);
            layer.putObject("annotations").put(ExternalTocSource.LAYER_DIGEST_ANNOTATION, toc.getKey().toString());
            layers.put(digest + " " + toc.getKey(), layer);
        }
        ObjectNode manifest = Json.MAPPER.createObjectNode();
        manifest.put("schemaVersion", 2);
        manifest.put("mediaType", MediaTypes.OCI_MANIFEST);
        ObjectNode configNode = manifest.putObject("config");
        configNode.put("mediaType", config.mediaType());
        configNode.put("digest", config.digest().toString());
        configNode.put("size", config.size());
        ArrayNode layerNodes = manifest.putArray("layers");
        layers.values().forEach(layerNodes::add);
        byte[] bytes = Json.bytes(manifest);
        return sink.commitBeside(ExternalTocSource.TOC_IMAGE_TAG_SUFFIX,
                Descriptor.of(MediaTypes.OCI_MANIFEST, Digest.sha256(bytes), bytes.length), bytes);
    }
}
