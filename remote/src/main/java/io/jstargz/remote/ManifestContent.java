package io.jstargz.remote;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;

/**
 * The bytes of a manifest or index as the registry served them (already checked against {@code digest}), with
 * their media type.
 */
public record ManifestContent(String mediaType, Digest digest, byte[] bytes) {

    static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    /**
     * Wraps fetched bytes: the media type is the document's own {@code mediaType} field when present (OCI allows it
     * to be absent), else the {@code Content-Type} the registry sent, else inferred from the shape.
     */
    static ManifestContent of(byte[] bytes, String contentType, Digest digest) throws IOException {
        JsonNode node;
        try {
            node = JSON.readTree(bytes);
        } catch (IOException e) {
            throw new IOException("manifest " + digest + " is not valid JSON: " + e.getMessage(), e);
        }
        if (node == null || !node.isObject()) {
            throw new IOException("manifest " + digest + " is not a JSON object");
        }
        String type = node.path("mediaType").asText("");
        if (type.isEmpty() && contentType != null) {
            type = contentType.split(";")[0].trim();
        }
        if (!MediaTypes.isIndex(type) && !MediaTypes.isManifest(type)) {
            if (node.has("manifests")) {
                type = MediaTypes.OCI_INDEX;
            } else if (node.has("layers") && node.has("config")) {
                type = MediaTypes.OCI_MANIFEST;
            } else {
                throw new IOException("manifest " + digest + " has unsupported media type '" + type
                        + "' (Docker schema 1 and artifacts are not supported)");
            }
        }
        return new ManifestContent(type, digest, bytes);
    }

    public boolean isIndex() {
        return MediaTypes.isIndex(mediaType);
    }

    public ImageIndex index() throws IOException {
        if (!isIndex()) {
            throw new IOException(digest + " is an image manifest (" + mediaType + "), not an index");
        }
        return parse(ImageIndex.class);
    }

    public ImageManifest manifest() throws IOException {
        if (isIndex()) {
            throw new IOException(digest + " is an index (" + mediaType + "), not an image manifest");
        }
        return parse(ImageManifest.class);
    }

    /** A descriptor pointing at this content. */
    public Descriptor descriptor() {
        return Descriptor.of(mediaType, digest, bytes.length);
    }

    private <T> T parse(Class<T> type) throws IOException {
        try {
            return JSON.readValue(bytes, type);
        } catch (IOException | IllegalArgumentException e) {
            throw new IOException("malformed " + mediaType + " " + digest + ": " + e.getMessage(), e);
        }
    }
}
