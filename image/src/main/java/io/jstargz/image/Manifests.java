package io.jstargz.image;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jstargz.estargz.BlobFormat;
import io.jstargz.remote.Descriptor;
import io.jstargz.remote.ManifestContent;
import io.jstargz.remote.MediaTypes;
import java.io.IOException;

/** Media-type rules for manifests, indexes, configs and layers. */
final class Manifests {
    /** Largest manifest, index or config read into memory. */
    static final long MAX_DOCUMENT_SIZE = 64L << 20;
    static final String OCI_LAYER_NONDISTRIBUTABLE = "application/vnd.oci.image.layer.nondistributable.v1.tar";
    static final String DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar";

    private Manifests() {
    }

    /** Refuses to read a document larger than {@link #MAX_DOCUMENT_SIZE} into memory. */
    static void checkSmall(Descriptor d, String where) throws IOException {
        if (d.size() > MAX_DOCUMENT_SIZE) {
            throw new IOException(where + ": " + d.digest() + " (" + d.mediaType() + ") is " + d.size()
                    + " bytes, over the limit of " + MAX_DOCUMENT_SIZE + " for a manifest or config");
        }
    }

    /** Wraps checked bytes: the media type is the document's own field, else the descriptor's. */
    static ManifestContent content(Descriptor d, byte[] bytes, String where) throws IOException {
        ObjectNode node = Json.object(bytes, where + ": manifest " + d.digest());
        String type = node.path("mediaType").asText("");
        if (type.isEmpty()) {
            type = d.mediaType() != null ? d.mediaType() : "";
        }
        if (type.isEmpty() || !MediaTypes.isIndex(type) && !MediaTypes.isManifest(type)) {
            if (node.has("manifests")) {
                type = MediaTypes.OCI_INDEX;
            } else if (node.has("layers") && node.has("config")) {
                type = MediaTypes.OCI_MANIFEST;
            } else {
                throw new IOException(where + ": " + d.digest() + " has unsupported media type '" + type
                        + "' (Docker schema 1 and artifacts are not supported)");
            }
        }
        return new ManifestContent(type, d.digest(), bytes);
    }

    /** The OCI media type for a Docker one (containerd's {@code ConvertDockerMediaTypeToOCI}); others unchanged. */
    static String toOci(String mediaType) {
        if (mediaType == null) {
            return null;
        }
        return switch (mediaType) {
            case MediaTypes.DOCKER_MANIFEST_LIST -> MediaTypes.OCI_INDEX;
            case MediaTypes.DOCKER_MANIFEST -> MediaTypes.OCI_MANIFEST;
            case MediaTypes.DOCKER_CONFIG -> MediaTypes.OCI_CONFIG;
            case MediaTypes.DOCKER_LAYER_GZIP -> MediaTypes.OCI_LAYER_GZIP;
            case DOCKER_LAYER -> MediaTypes.OCI_LAYER;
            case MediaTypes.DOCKER_FOREIGN_LAYER_GZIP -> OCI_LAYER_NONDISTRIBUTABLE + "+gzip";
            default -> mediaType;
        };
    }

    /** Whether a layer of this type is converted: plain, gzip or zstd tar layers, OCI or Docker. */
    static boolean isConvertibleLayer(String mediaType) {
        return MediaTypes.OCI_LAYER.equals(mediaType) || MediaTypes.OCI_LAYER_GZIP.equals(mediaType)
                || MediaTypes.OCI_LAYER_ZSTD.equals(mediaType) || MediaTypes.DOCKER_LAYER_GZIP.equals(mediaType)
                || DOCKER_LAYER.equals(mediaType);
    }

    /** Whether a layer of this type is a plain (uncompressed) tar. */
    static boolean isUncompressedLayer(String mediaType) {
        return MediaTypes.OCI_LAYER.equals(mediaType) || DOCKER_LAYER.equals(mediaType);
    }

    /** The OCI media type of a layer blob of {@code format}. */
    static String layerMediaType(BlobFormat format) {
        return format == BlobFormat.ZSTD_CHUNKED ? MediaTypes.OCI_LAYER_ZSTD : MediaTypes.OCI_LAYER_GZIP;
    }

    /** Whether the layer is non-distributable (foreign): fetched from its urls, never pushed. */
    static boolean isNonDistributable(String mediaType) {
        return mediaType != null && (mediaType.startsWith(OCI_LAYER_NONDISTRIBUTABLE)
                || mediaType.startsWith("application/vnd.docker.image.rootfs.foreign."));
    }
}
