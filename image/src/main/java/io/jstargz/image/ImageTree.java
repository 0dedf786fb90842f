package io.jstargz.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jstargz.remote.Descriptor;
import io.jstargz.remote.ImageManifest;
import io.jstargz.remote.ManifestContent;
import io.jstargz.remote.MediaTypes;
import io.jstargz.remote.Platform;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * An image read before any layer is touched: the manifest (or the index and the manifests of the selected
 * platforms), each manifest's config. Reading all of it first finds a bad reference, a missing platform or a
 * malformed document in seconds, not after the first layer has been converted.
 */
final class ImageTree {

    /** A node: an image manifest or an index. */
    sealed interface Node permits Image, Index {
        Descriptor descriptor();

        ManifestContent content();

        ObjectNode json();
    }

    /**
     * One image manifest with its config.
     *
     * @param platform {@code os/arch[/variant]}, from the index entry or else the config
     */
    record Image(Descriptor descriptor, ManifestContent content, ObjectNode json, ImageManifest manifest,
                 ObjectNode config, byte[] configBytes, String platform) implements Node {
    }

    /**
     * An index; {@code children} holds the entries kept, in order, and {@code entries} their original JSON.
     */
    record Index(Descriptor descriptor, ManifestContent content, ObjectNode json, List<Node> children,
                 List<ObjectNode> entries) implements Node {
    }

    private final ImageSource src;
    private final List<Platform> platforms;
    private final Consumer<String> notes;

    private ImageTree(ImageSource src, List<Platform> platforms, Consumer<String> notes) {
        this.src = src;
        this.platforms = platforms;
        this.notes = notes;
    }

    /** Reads the image {@code src} names, keeping the index entries for {@code platforms} (all if empty). */
    static Node read(ImageSource src, List<Platform> platforms, Consumer<String> notes) throws IOException {
        ManifestContent root = src.root();
        ImageTree tree = new ImageTree(src, platforms, notes);
        Node node = tree.node(root.descriptor(), root, null, 0);
        if (node instanceof Image image && !platforms.isEmpty() && !tree.selected(Platform.parse(image.platform()))) {
            throw new IOException(src + " is a single " + image.platform() + " image, not one of " + platforms);
        }
        return node;
    }

    /** Every image manifest below {@code node}, in order. */
    static List<Image> images(Node node) {
        List<Image> out = new ArrayList<>();
        collect(node, out);
        return out;
    }

    private static void collect(Node node, List<Image> out) {
        if (node instanceof Image image) {
            out.add(image);
        } else {
            ((Index) node).children().forEach(c -> collect(c, out));
        }
    }

    private Node node(Descriptor descriptor, ManifestContent content, Platform platform, int depth)
            throws IOException {
        ObjectNode json = Json.object(content.bytes(), src + ": manifest " + content.digest());
        if (!content.isIndex()) {
            return image(descriptor, content, json, platform);
        }
        if (depth > 4) {
            throw new IOException(src + ": indexes nested more than 4 deep at " + content.digest());
        }
        List<Node> children = new ArrayList<>();
        List<ObjectNode> entries = new ArrayList<>();
        List<String> available = new ArrayList<>();
        for (JsonNode entry : json.path("manifests")) {
            Descriptor d = Json.read(entry, Descriptor.class, "entry of index " + content.digest());
            if (d.platform() != null) {
                available.add(d.platform().toString());
            }
            String kind = d.annotation("vnd.docker.reference.type");
            if (kind != null) {
                notes.accept("dropped " + kind + " " + d.digest() + " (it describes the unconverted image)");
                continue;
            }
            if (!MediaTypes.isIndex(d.mediaType()) && !MediaTypes.isManifest(d.mediaType())) {
                notes.accept("dropped " + d.mediaType() + " " + d.digest() + " from the index: not an image");
                continue;
            }
            if (!platforms.isEmpty() && (d.platform() == null || !selected(d.platform()))) {
                continue;
            }
            children.add(node(d, src.manifest(d), d.platform(), depth + 1));
            entries.add((ObjectNode) entry);
        }
        if (children.isEmpty()) {
            throw new IOException(src + ": the index " + content.digest() + " has no image for "
                    + (platforms.isEmpty() ? "any platform" : platforms.toString()) + "; it has " + available);
        }
        return new Index(descriptor, content, json, children, entries);
    }

    private Image image(Descriptor descriptor, ManifestContent content, ObjectNode json, Platform platform)
            throws IOException {
        ImageManifest manifest = Json.read(json, ImageManifest.class, "manifest " + content.digest());
        for (int i = 0; i < manifest.layers().size(); i++) {
            Descriptor layer = manifest.layers().get(i);
            if (!Manifests.isConvertibleLayer(layer.mediaType()) && !Manifests.isNonDistributable(layer.mediaType())) {
                throw new IOException(src + ": layer " + i + " (" + layer.digest() + ") of manifest "
                        + content.digest() + " is " + layer.mediaType() + "; jstargz converts tar and tar+gzip layers");
            }
        }
        byte[] configBytes = src.readBlob(manifest.config());
        ObjectNode config = Json.object(configBytes, src + ": config " + manifest.config().digest());
        JsonNode diffIds = config.path("rootfs").path("diff_ids");
        if (!diffIds.isArray() || diffIds.size() != manifest.layers().size()) {
            throw new IOException(src + ": manifest " + content.digest() + " has " + manifest.layers().size()
                    + " layers but its config lists " + diffIds.size() + " rootfs.diff_ids");
        }
        String p = platform != null ? platform.toString()
                : config.path("os").asText("?") + "/" + config.path("architecture").asText("?")
                + (config.path("variant").asText("").isEmpty() ? "" : "/" + config.path("variant").asText());
        return new Image(descriptor, content, json, manifest, config, configBytes, p);
    }

    private boolean selected(Platform candidate) {
        return platforms.stream().anyMatch(p -> p.matches(candidate));
    }
}
