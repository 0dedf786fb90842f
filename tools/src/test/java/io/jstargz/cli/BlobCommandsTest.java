package io.jstargz.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The blob commands, run in-process. */
class BlobCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    record Run(int exit, String out, String err) {
    }

    static Run jstargz(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(exit, out.toString(), err.toString());
    }

    static Path vector(String name) {
        return Paths.get(System.getProperty("jstargz.repo", "..")).resolve("testdata/estargz").resolve(name);
    }

    @Test
    void zstdChunkedConvertsVerifiesAndInspects() throws Exception {
        Path blob = tmp.resolve("out.zst");
        Run convert = jstargz("blob", "convert", "--zstdchunked", "--chunk-size", "64K",
                vector("small1.tar").toString(), blob.toString());
        assertEquals(0, convert.exit(), convert.err());
        JsonNode result = JSON.readTree(convert.out());
        assertTrue(result.get("annotations").get("io.containers.zstd-chunked.manifest-position").asText()
                .endsWith(":1"), convert.out());
        Run verify = jstargz("blob", "verify", "--toc-digest", result.get("tocDigest").asText(), blob.toString());
        assertEquals(0, verify.exit(), verify.err());
        assertTrue(verify.out().startsWith("ok: 64 paths, 34 files, 617672 bytes verified"), verify.out());
        Run inspect = jstargz("blob", "inspect", blob.toString());
        assertTrue(inspect.out().startsWith("format     zstd:chunked (48-byte footer)"), inspect.out());
        Run badLevel = jstargz("blob", "convert", "--zstdchunked", "--compression-level", "30",
                vector("small1.tar").toString(), tmp.resolve("bad.zst").toString());
        assertEquals(2, badLevel.exit());
        assertTrue(badLevel.err().contains("zstd compression level must be 1..22, got 30"), badLevel.err());
    }

    @Test
    void anExternalTocIsWrittenBesideTheBlobAndReadWithToc() throws Exception {
        Path blob = tmp.resolve("ext.esgz");
        Run convert = jstargz("blob", "convert", "--external-toc", vector("small1.tar").toString(), blob.toString());
        assertEquals(0, convert.exit(), convert.err());
        JsonNode result = JSON.readTree(convert.out());
        Path toc = tmp.resolve("ext.esgz.toc");
        assertEquals(toc.toString(), result.get("externalToc").asText());
        Run verify = jstargz("blob", "verify", "--toc", toc.toString(), "--toc-digest",
                result.get("tocDigest").asText(), blob.toString());
        assertEquals(0, verify.exit(), verify.err());
        Run inspect = jstargz("blob", "inspect", "--toc", toc.toString(), blob.toString());
        assertTrue(inspect.out().startsWith("format     estargz (external TOC) (46-byte footer)"), inspect.out());
        Run noToc = jstargz("blob", "verify", blob.toString());
        assertEquals(1, noToc.exit());
        assertTrue(noToc.err().contains("its TOC is external"), noToc.err());
        Run both = jstargz("blob", "convert", "--external-toc", "--zstdchunked", vector("small1.tar").toString(),
                tmp.resolve("x").toString());
        assertEquals(2, both.exit());
        assertTrue(both.err().contains("--external-toc is for eStargz"), both.err());
    }

    @Test
    void chunkSizeZeroIsTheDefaultAndMinChunkSizePacksSmallFiles() throws Exception {
        Path plain = tmp.resolve("plain.esgz");
        Path packed = tmp.resolve("packed.esgz");
        Run convert = jstargz("blob", "convert", "--chunk-size", "0", vector("small1.tar").toString(),
                plain.toString());
        assertEquals(0, convert.exit(), convert.err());
        Run pack = jstargz("blob", "convert", "--chunk-size", "0", "--min-chunk-size", "16K",
                vector("small1.tar").toString(), packed.toString());
        assertEquals(0, pack.exit(), pack.err());
        assertTrue(Files.size(packed) < Files.size(plain), Files.size(packed) + " vs " + Files.size(plain));
        Run verify = jstargz("blob", "verify", "--toc-digest", JSON.readTree(pack.out()).get("tocDigest").asText(),
                packed.toString());
        assertEquals(0, verify.exit(), verify.err());
        JsonNode info = JSON.readTree(jstargz("blob", "inspect", "--json", plain.toString()).out());
        for (JsonNode e : info.get("entries")) {
            if (e.get("path").asText().equals("usr/lib/big.bin")) {
                assertEquals(1, e.get("chunks").asInt(), "300001 bytes in one chunk of the default 4 MiB");
            }
        }
    }

    @Test
    void convertThenVerifyAndInspect() throws Exception {
        Path list = Files.writeString(tmp.resolve("prio.txt"), "etc/passwd\n\n/no/such/file\n");
        Path blob = tmp.resolve("out.esgz");
        Run convert = jstargz("blob", "convert", "--chunk-size", "64K", "--compression-level", "1",
                "--prioritize", "bin/app", "--prioritize-list", list.toString(), "--threads", "2",
                vector("small1.tar").toString(), blob.toString());
        assertEquals(0, convert.exit(), convert.err());
        JsonNode result = JSON.readTree(convert.out());
        List<String> fields = new java.util.ArrayList<>();
        result.fieldNames().forEachRemaining(fields::add);
        assertEquals(List.of("tocDigest", "diffID", "blobDigest", "size", "uncompressedSize"), fields);
        assertEquals(Files.size(blob), result.get("size").asLong());
        assertTrue(convert.err().contains("not prioritized") && convert.err().contains("/no/such/file"),
                convert.err());
        try (var files = Files.list(tmp)) {
            assertEquals(2, files.count(), "no temporary files are left next to the output");
        }

        Run verify = jstargz("blob", "verify", "--toc-digest", result.get("tocDigest").asText(), blob.toString());
        assertEquals(0, verify.exit(), verify.err());
        assertTrue(verify.out().startsWith("ok: 64 paths, 34 files, 617672 bytes verified"), verify.out());

        Run inspect = jstargz("blob", "inspect", "--json", blob.toString());
        assertEquals(0, inspect.exit(), inspect.err());
        JsonNode info = JSON.readTree(inspect.out());
        assertEquals("estargz", info.get("format").asText());
        assertEquals("prefetch", info.get("landmark").asText());
        assertEquals(result.get("tocDigest").asText(), info.get("tocDigest").asText());
        assertEquals(64, info.get("entries").size());
        assertEquals(".prefetch.landmark", info.get("entries").get(0).get("path").asText());
        assertTrue(info.get("prefetchEnd").asLong() > 0);
        JsonNode big = null;
        for (JsonNode e : info.get("entries")) {
            if (e.get("path").asText().equals("usr/lib/big.bin")) {
                big = e;
            }
        }
        assertEquals(5, big.get("chunks").asInt(), "300001 bytes in 64 KiB chunks");

        Run text = jstargz("blob", "inspect", blob.toString());
        assertTrue(text.out().contains("landmark   prefetch (.prefetch.landmark)"), text.out());
        assertTrue(text.out().contains("usr/lib/big-link.bin (hardlink to usr/lib/big.bin)"), text.out());
    }

    @Test
    void errorsAreOneLineWithoutStackTraceUnlessDebug() throws Exception {
        Path garbage = Files.write(tmp.resolve("garbage"), new byte[4096]);
        Run run = jstargz("blob", "verify", garbage.toString());
        assertEquals(1, run.exit());
        assertEquals(1, run.err().lines().count(), run.err());
        assertTrue(run.err().startsWith("jstargz: layer " + garbage + ": no stargz footer"), run.err());

        Run debug = jstargz("--debug", "blob", "verify", garbage.toString());
        assertEquals(1, debug.exit());
        assertTrue(debug.err().contains("at io.jstargz.estargz.Footer.parse"), debug.err());

        Run missing = jstargz("blob", "inspect", tmp.resolve("nope").toString());
        assertEquals("jstargz: no such file: " + tmp.resolve("nope") + System.lineSeparator(), missing.err());

        Run usage = jstargz("blob", "convert", "--compression-level", "12", "a", "b");
        assertEquals(2, usage.exit());
        assertTrue(usage.err().contains("compression level must be -1..9"), usage.err());
        assertFalse(Files.exists(Path.of("b")));
    }

    @Test
    void sizesTakeBinarySuffixes() {
        BlobConvertCommand.Sizes sizes = new BlobConvertCommand.Sizes();
        assertEquals(65536, sizes.convert("64K"));
        assertEquals(4 << 20, sizes.convert("4MiB"));
        assertEquals(1000, sizes.convert("1000"));
        assertThrows(CommandLine.TypeConversionException.class, () -> sizes.convert("4T"));
        assertThrows(CommandLine.TypeConversionException.class, () -> sizes.convert("3G"));
    }
}
