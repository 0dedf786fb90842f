package io.jstargz.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jstargz.cli.BlobCommandsTest.Run;
import io.jstargz.remote.Digest;
import io.jstargz.testing.BusyboxImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The image commands, run in-process on a busybox image in an OCI layout. */
class ImageCommandsTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    @TempDir
    Path tmp;

    @Test
    void convertPrintsProgressLinesAndASummary() throws Exception {
        BusyboxImage.singleLayer(tmp.resolve("src"), "bb");
        Path list = Files.writeString(tmp.resolve("prio.txt"), "bin/busybox\n");
        Run run = BlobCommandsTest.jstargz("image", "convert", "--progress", "plain", "--compression-level", "1",
                "--prioritize-list", list.toString(), "oci:" + tmp.resolve("src") + ":bb",
                "oci:" + tmp.resolve("dst") + ":esgz");
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().contains("1 image, 1 layer: 1 converted, 0 already eStargz"), run.out());
        assertTrue(run.err().lines().anyMatch(l -> l.matches("layer [0-9a-f]{12}: converted: .* -> .*")), run.err());
        assertTrue(Files.readString(tmp.resolve("dst/index.json")).contains("\"esgz\""));

        Run again = BlobCommandsTest.jstargz("image", "convert", "--progress", "plain",
                "oci:" + tmp.resolve("dst") + ":esgz", "oci:" + tmp.resolve("dst") + ":again");
        assertEquals(0, again.exit(), again.err());
        assertTrue(again.out().contains("0 converted, 1 already eStargz"), again.out());
    }

    @Test
    void optimizeRecordsAndConvertReplaysTheRecord() throws Exception {
        BusyboxImage.threeLayers(tmp.resolve("src"), "bb");
        Path record = tmp.resolve("record.json");
        Run optimize = BlobCommandsTest.jstargz("image", "optimize", "--progress", "plain", "--period", "30",
                "--record-out", record.toString(), "oci:" + tmp.resolve("src") + ":bb",
                "oci:" + tmp.resolve("dst") + ":opt", "--", "cat", "/etc/motd", "/data/hello.txt");
        assertEquals(0, optimize.exit(), optimize.err());
        assertTrue(optimize.out().contains("layer 2  etc/motd") && optimize.out().contains("layer 1  data/hello.txt"),
                optimize.out());
        assertTrue(optimize.err().contains("layer 3\nhello from layer 2"), optimize.err());
        assertTrue(Files.readString(record).contains("{\"path\":\"etc/motd\",\"manifestDigest\":\"sha256:"),
                Files.readString(record));

        // the saved record, fed back, gives the same image
        Run replay = BlobCommandsTest.jstargz("image", "convert", "--progress", "plain", "--prioritize-list",
                record.toString(), "oci:" + tmp.resolve("src") + ":bb", "oci:" + tmp.resolve("dst") + ":replay");
        assertEquals(0, replay.exit(), replay.err());
        String index = Files.readString(tmp.resolve("dst/index.json"));
        String digest = "\"digest\":\"sha256:[0-9a-f]{64}\"";
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(digest).matcher(index);
        assertTrue(m.find());
        String first = m.group();
        assertTrue(m.find());
        assertEquals(first, m.group(), "optimize and convert --prioritize-list of its record agree: " + index);
    }

    @Test
    void optimizeTakesCtrRemotesWorkloadFlags() throws Exception {
        BusyboxImage.threeLayers(tmp.resolve("src"), "bb");
        Path host = Files.createDirectories(tmp.resolve("host"));
        Files.writeString(host.resolve("x"), "mounted");
        Run optimize = BlobCommandsTest.jstargz("image", "optimize", "--progress", "plain", "--reuse",
                "--entrypoint", "[\"sh\",\"-c\"]", "--args", "[\"echo $FOO $(cat /m/x) in $(pwd) as $(id -u)\"]",
                "--env", "FOO=bar", "--cwd", "/tmp", "--user", "nobody", "--net-host",
                "--mount", "type=bind,src=" + host + ",dst=/m,options=ro",
                "oci:" + tmp.resolve("src") + ":bb", "oci:" + tmp.resolve("dst") + ":opt");
        assertEquals(0, optimize.exit(), optimize.err());
        assertTrue(optimize.err().contains("bar mounted in /tmp as 65534"), optimize.err());

        String src = "oci:" + tmp.resolve("src") + ":bb";
        String dst = "oci:" + tmp.resolve("dst") + ":x";
        for (List<String> bad : List.of(List.of("--entrypoint", "sh -c"), List.of("--reuse", "--force"),
                List.of("--mount", "dst=/only"), List.of("--env", "NOVALUE"))) {
            List<String> args = new java.util.ArrayList<>(List.of("image", "optimize"));
            args.addAll(bad);
            args.addAll(List.of(src, dst));
            Run r = BlobCommandsTest.jstargz(args.toArray(String[]::new));
            assertEquals(2, r.exit(), bad + ": " + r.err());
            assertTrue(r.err().contains(bad.get(0).equals("--reuse") ? "--reuse" : bad.get(0).equals("--entrypoint")
                    ? "JSON array" : bad.get(1)), bad + ": " + r.err());
        }
    }

    @Test
    void tocDigestPrintsTheAnnotationOrTheFootersTocAndNamesLayersThatAreNotEstargz() throws Exception {
        BusyboxImage.threeLayers(tmp.resolve("src"), "bb");
        Run convert = BlobCommandsTest.jstargz("image", "convert", "--progress", "plain", "--compression-level", "1",
                "oci:" + tmp.resolve("src") + ":bb", "oci:" + tmp.resolve("dst") + ":esgz");
        assertEquals(0, convert.exit(), convert.err());
        Path dst = tmp.resolve("dst");
        JsonNode manifest = manifest(dst);
        List<String> annotated = new ArrayList<>();
        manifest.path("layers").forEach(l -> annotated.add(l.path("annotations")
                .path("containerd.io/snapshot/stargz/toc.digest").asText()));

        Run fromAnnotation = BlobCommandsTest.jstargz("image", "toc-digest", "oci:" + dst + ":esgz");
        assertEquals(0, fromAnnotation.exit(), fromAnnotation.err());
        assertEquals(annotated, tocColumn(fromAnnotation.out()), fromAnnotation.out());

        // the same image without the annotations: the digests come from each layer's footer and TOC, and agree
        ObjectNode stripped = manifest.deepCopy();
        stripped.withArray("layers").forEach(l -> ((ObjectNode) l).remove("annotations"));
        byte[] bytes = MAPPER.writeValueAsBytes(stripped);
        String digest = Digest.sha256(bytes).toString();
        Files.write(dst.resolve("blobs/sha256/" + digest.substring(7)), bytes);
        ObjectNode index = (ObjectNode) MAPPER.readTree(dst.resolve("index.json").toFile());
        ObjectNode entry = ((ObjectNode) index.path("manifests").get(0)).deepCopy();
        entry.put("digest", digest).put("size", bytes.length);
        ((ObjectNode) entry.path("annotations")).put("org.opencontainers.image.ref.name", "bare");
        index.withArray("manifests").add(entry);
        Files.write(dst.resolve("index.json"), MAPPER.writeValueAsBytes(index));
        Run fromFooter = BlobCommandsTest.jstargz("image", "toc-digest", "--json", "oci:" + dst + ":bare");
        assertEquals(0, fromFooter.exit(), fromFooter.err());
        List<String> computed = new ArrayList<>();
        MAPPER.readTree(fromFooter.out()).forEach(l -> {
            assertEquals("footer", l.path("from").asText(), l.toString());
            computed.add(l.path("tocDigest").asText());
        });
        assertEquals(annotated, computed);

        Run gzip = BlobCommandsTest.jstargz("image", "toc-digest", "oci:" + tmp.resolve("src") + ":bb");
        assertEquals(1, gzip.exit(), gzip.out());
        assertEquals(List.of("-", "-", "-"), tocColumn(gzip.out()), gzip.out());
        JsonNode first = manifest(tmp.resolve("src")).path("layers").get(0);
        assertTrue(gzip.err().contains("layer 0 " + first.path("digest").asText() + " is not eStargz"), gzip.err());
    }

    /** The manifest the only (or first) entry of an OCI layout's index names. */
    private static JsonNode manifest(Path layout) throws IOException {
        String digest = MAPPER.readTree(layout.resolve("index.json").toFile()).path("manifests").get(0)
                .path("digest").asText();
        return MAPPER.readTree(layout.resolve("blobs/sha256/" + digest.substring(7)).toFile());
    }

    /** The TOC DIGEST column of {@code image toc-digest}'s table. */
    private static List<String> tocColumn(String table) {
        return table.lines().skip(1).map(l -> l.split("\\s+")[3]).toList();
    }

    @Test
    void badArgumentsAreUsageErrors() {
        String dst = "oci:" + tmp.resolve("dst");
        Run platform = BlobCommandsTest.jstargz("image", "convert", "--platform", "linux", "oci:a", dst);
        assertEquals(2, platform.exit());
        assertTrue(platform.err().contains("invalid platform 'linux'"), platform.err());
        Run location = BlobCommandsTest.jstargz("image", "convert", "dir:/x", dst);
        assertEquals(2, location.exit());
        assertTrue(location.err().contains("unsupported image location 'dir:/x'"), location.err());
        Run missing = BlobCommandsTest.jstargz("image", "convert", "oci:" + tmp.resolve("none"), dst);
        assertEquals(1, missing.exit());
        assertTrue(missing.err().contains("not an OCI image layout"), missing.err());
        assertFalse(Files.exists(tmp.resolve("dst")), "nothing is written when the source cannot be read");
    }
}
