package io.jstargz.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * Lists of files to prioritize. Reads plain lists (one path per line, {@code #} comments) and the reference's record
 * files ({@code ctr-remote image optimize --record-out}: one JSON object per line with {@code path}); writes record
 * files in the reference's format, so {@code ctr-remote image convert --estargz-record-in} reads ours too.
 */
public final class RecordFile {

    /**
     * One recorded access, as the reference's {@code recorder.Entry}.
     *
     * @param path           path in the image's final filesystem
     * @param manifestDigest the image manifest the workload ran from
     * @param layerIndex     the layer (0 = lowest) that provided the file
     */
    public record Entry(String path, String manifestDigest, int layerIndex) {
    }

    private RecordFile() {
    }

    /** The paths of a list or record file, in order, without duplicates. */
    public static List<String> read(Path file) throws IOException {
        LinkedHashSet<String> paths = new LinkedHashSet<>();
        int lineNo = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            lineNo++;
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            if (l.startsWith("{")) {
                JsonNode path;
                try {
                    path = Json.MAPPER.readTree(l).get("path");
                } catch (IOException e) {
                    throw new IOException(file + ":" + lineNo + ": not a JSON record: " + e.getMessage(), e);
                }
                if (path == null || !path.isTextual()) {
                    throw new IOException(file + ":" + lineNo + ": the record has no \"path\" string");
                }
                l = path.asText();
            }
            String clean = PrioritizedFiles.clean(l);
            if (!clean.isEmpty()) {
                paths.add(clean);
            }
        }
        return new ArrayList<>(paths);
    }

    /** Writes entries as JSON lines, the reference's record format. */
    public static void write(Path file, List<Entry> entries) throws IOException {
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (Entry e : entries) {
                ObjectNode o = Json.MAPPER.createObjectNode();
                o.put("path", e.path());
                o.put("manifestDigest", e.manifestDigest());
                o.put("layerIndex", e.layerIndex());
                w.write(Json.MAPPER.writeValueAsString(o));
                w.newLine();
            }
        }
    }
}
