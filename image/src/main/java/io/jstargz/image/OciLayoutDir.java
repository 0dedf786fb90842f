package io.jstargz.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jstargz.remote.Descriptor;
import io.jstargz.remote.Digest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/** The files of an OCI image layout: {@code oci-layout}, {@code index.json} and {@code blobs/<alg>/<hex>}. */
final class OciLayoutDir {
    /** The annotation naming an image in {@code index.json}. */
    static final String REF_NAME = "org.opencontainers.image.ref.name";
    private static final String LAYOUT_FILE = "oci-layout";
    private static final String INDEX_FILE = "index.json";

    private final Path dir;

    OciLayoutDir(Path dir) {
        this.dir = dir;
    }

    Path dir() {
        return dir;
    }

    Path blob(Digest digest) {
        return dir.resolve("blobs").resolve(digest.algorithm()).resolve(digest.hex());
    }

    boolean isLayout() {
        return Files.isRegularFile(dir.resolve(LAYOUT_FILE)) && Files.isRegularFile(dir.resolve(INDEX_FILE));
    }

    /** {@code index.json}, or an empty index when the layout is new. */
    ObjectNode readIndex() throws IOException {
        Path index = dir.resolve(INDEX_FILE);
        if (!Files.exists(index)) {
            ObjectNode empty = Json.MAPPER.createObjectNode();
            empty.put("schemaVersion", 2);
            empty.putArray("manifests");
            return empty;
        }
        ObjectNode node = Json.object(Files.readAllBytes(index), index.toString());
        if (!node.path("manifests").isArray()) {
            throw new IOException(index + " has no manifests array");
        }
        return node;
    }

    /** The entries of {@code index.json}. */
    List<Descriptor> entries() throws IOException {
        List<Descriptor> out = new ArrayList<>();
        for (JsonNode entry : readIndex().path("manifests")) {
            out.add(Json.read(entry, Descriptor.class, "entry of " + dir.resolve(INDEX_FILE)));
        }
        return out;
    }

    /** Writes {@code oci-layout} if missing and replaces {@code index.json} atomically. */
    void writeIndex(ObjectNode index) throws IOException {
        Files.createDirectories(dir);
        Path layout = dir.resolve(LAYOUT_FILE);
        if (!Files.exists(layout)) {
            Files.writeString(layout, "{\"imageLayoutVersion\":\"1.0.0\"}");
        }
        Path tmp = Files.createTempFile(dir, ".index.json", ".tmp");
        try {
            Files.write(tmp, Json.bytes(index));
            readable(tmp);
            Files.move(tmp, dir.resolve(INDEX_FILE), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Adds {@code entry} to {@code index.json}, replacing entries with the same tag (or, untagged, the same digest). */
    void tag(Descriptor entry, String tag) throws IOException {
        ObjectNode index = readIndex();
        ArrayNode manifests = (ArrayNode) index.get("manifests");
        ArrayNode kept = Json.MAPPER.createArrayNode();
        for (JsonNode m : manifests) {
            boolean same = tag != null ? tag.equals(m.path("annotations").path(REF_NAME).asText(null))
                    : entry.digest().toString().equals(m.path("digest").asText()) && !m.path("annotations").has(REF_NAME);
            if (!same) {
                kept.add(m);
            }
        }
        ObjectNode node = Json.tree(entry);
        if (tag != null) {
            ObjectNode annotations = node.has("annotations") ? (ObjectNode) node.get("annotations")
                    : node.putObject("annotations");
            annotations.put(REF_NAME, tag);
        }
        kept.add(node);
        index.set("manifests", kept);
        writeIndex(index);
    }

    /** Makes a file written as a private temporary file readable by all, as layout files are. */
    static void readable(Path file) throws IOException {
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    }

    /** The entry for {@code tag}, or the only entry when {@code tag} is null. */
    Descriptor find(String tag) throws IOException {
        if (!isLayout()) {
            throw new IOException(dir + " is not an OCI image layout (no oci-layout and "
                    + "index.json)");
        }
        List<Descriptor> entries = entries();
        List<String> names = entries.stream().map(d -> d.annotation(REF_NAME)).map(String::valueOf).toList();
        if (tag == null) {
            if (entries.size() != 1) {
                throw new IOException("oci:" + dir + " holds " + entries.size() + " images " + names
                        + "; name one as oci:" + dir + ":TAG");
            }
            return entries.get(0);
        }
        for (Descriptor d : entries) {
            if (tag.equals(d.annotation(REF_NAME))) {
                return d;
            }
        }
        throw new IOException("oci:" + dir + " has no image tagged " + tag + "; it has "
                + names);
    }
}
