package io.jstargz.fs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The reference reader's view of a test vector ({@code testdata/estargz/*.entries.jsonl}). */
final class ReferenceListing {
    /** One path of the listing. xattr values are raw bytes (the JSON string in UTF-8). */
    record Item(String name, String type, long size, int mode, long uid, long gid, String linkName, int numLink,
                Map<String, byte[]> xattrs, String sha256, long devMajor, long devMinor) {

        String baseName() {
            return name.substring(name.lastIndexOf('/') + 1);
        }

        String parent() {
            int slash = name.lastIndexOf('/');
            return slash < 0 ? "" : name.substring(0, slash);
        }
    }

    static final Path TESTDATA = Path.of(System.getProperty("jstargz.repo", "../"), "testdata", "estargz");
    private static final ObjectMapper JSON = new ObjectMapper();

    private ReferenceListing() {
    }

    /** The listing of vector {@code blobName} (e.g. {@code small1-default.esgz}). */
    static List<Item> of(String blobName) throws IOException {
        String base = blobName.substring(0, blobName.lastIndexOf('.'));
        List<Item> out = new ArrayList<>();
        for (String line : Files.readAllLines(TESTDATA.resolve(base + ".entries.jsonl"), StandardCharsets.UTF_8)) {
            JsonNode n = JSON.readTree(line);
            Map<String, byte[]> xattrs = new TreeMap<>();
            n.path("xattrs").fields().forEachRemaining(f -> xattrs.put(f.getKey(),
                    f.getValue().asText().getBytes(StandardCharsets.UTF_8)));
            out.add(new Item(n.get("name").asText(), n.get("type").asText(), n.path("size").asLong(),
                    n.get("mode").asInt(), n.get("uid").asLong(), n.get("gid").asLong(),
                    n.path("linkName").asText(""), n.get("numLink").asInt(), xattrs, n.path("sha256").asText(""),
                    n.path("devMajor").asLong(), n.path("devMinor").asLong()));
        }
        return out;
    }

    /** The blob digest and TOC digest the builder reported. */
    static JsonNode meta(String blobName) throws IOException {
        String base = blobName.substring(0, blobName.lastIndexOf('.'));
        return JSON.readTree(TESTDATA.resolve(base + ".json").toFile());
    }
}
