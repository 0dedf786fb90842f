package io.jstargz.estargz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Differential tests against the reference converter ({@code estargz.Build}) on tars of every header format and the
 * ordering corner cases: the uncompressed stream before the TOC and the TOC entries (offsets aside) must be equal.
 */
class ReferenceBuildTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private void assertSameAsReference(byte[] tar, int chunkSize, int level, String... prioritized) throws Exception {
        Path in = tmp.resolve("in.tar");
        Files.write(in, tar);
        Path ref = tmp.resolve("ref.esgz");
        List<String> args = new ArrayList<>(List.of("build", in.toString(), ref.toString(),
                Integer.toString(chunkSize), Integer.toString(level)));
        args.addAll(List.of(prioritized));
        RefCheck.Result r = RefCheck.refcheck(args.toArray(new String[0]));
        assertEquals(0, r.exit(), r.stderr());
        JsonNode refResult = JSON.readTree(r.stdout());

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ConvertResult ours = new LayerConverter(ConvertOptions.defaults().withChunkSize(chunkSize)
                .withCompressionLevel(level).withPrioritizedFiles(List.of(prioritized)).withParallelism(2))
                .convert(in, out);
        byte[] refBlob = Files.readAllBytes(ref);
        assertArrayEquals(Blobs.payloadTar(refBlob), Blobs.payloadTar(out.toByteArray()),
                "uncompressed stream before the TOC");
        assertEquals(Blobs.tocWithoutOffsets(refBlob), Blobs.tocWithoutOffsets(out.toByteArray()));
        List<String> missed = new ArrayList<>();
        refResult.path("missed").forEach(n -> missed.add(n.asText()));
        assertEquals(missed, ours.missedPrioritizedFiles());

        Path oursFile = tmp.resolve("ours.esgz");
        Files.write(oursFile, out.toByteArray());
        RefCheck.Result check = RefCheck.refcheck("list", oursFile.toString(), ours.tocDigest());
        assertEquals(0, check.exit(), "the reference reader accepts our blob: " + check.stderr());
    }

    @Test
    void gnuFormatWithLongNamesLinksAndBase256Ids() throws Exception {
        String longName = "gnu/" + "d".repeat(120) + "/file";
        String longLink = "/" + "t".repeat(150);
        TarBytes.H big = TarBytes.h("gnu/bigid").magic(TarBytes.Magic.GNU);
        big.uid = 3_000_000;
        big.base256Uid = true;
        big.uname = "huge";
        byte[] tar = new TarBytes()
                .entry(TarBytes.h("gnu/").type('5').mode(0755).magic(TarBytes.Magic.GNU))
                .gnuLong('L', longName).entry(TarBytes.h(longName.substring(0, 100)).magic(TarBytes.Magic.GNU),
                        utf8("long\n"))
                .gnuLong('K', longLink).entry(TarBytes.h("gnu/sym").type('2').mode(0777).magic(TarBytes.Magic.GNU)
                        .link(longLink.substring(0, 100)))
                .entry(big, utf8("id"))
                .end();
        assertSameAsReference(tar, 4 << 20, 9);
    }

    @Test
    void paxRecordsTimesXattrsAndNonAsciiNames() throws Exception {
        Map<String, byte[]> pax = new LinkedHashMap<>();
        pax.put("mtime", utf8("1700000000.75"));
        pax.put("atime", utf8("1700000001.5"));
        pax.put("ctime", utf8("1700000002"));
        pax.put("comment", utf8("kept as it is"));
        pax.put("SCHILY.xattr.user.bin", new byte[] {(byte) 0xff, 0, (byte) 0x80, 'x'});
        pax.put("SCHILY.xattr.user.empty", new byte[0]);
        pax.put("uid", utf8("70000"));
        pax.put("path", utf8("pax/naïve-名前.txt"));
        Map<String, byte[]> latin1 = Map.of("path", new byte[] {'p', 'a', 'x', '/', 'c', 'a', 'f', (byte) 0xe9});
        byte[] tar = new TarBytes()
                .pax(pax).entry(TarBytes.h("pax/naive.txt"), utf8("pax data"))
                .pax(latin1).entry(TarBytes.h("pax/cafe"), utf8("latin-1 name"))
                .entry(TarBytes.h("pax/dir/").type('5').mode(0755))
                .end();
        assertSameAsReference(tar, 4 << 20, 6);
    }

    @Test
    void v7AndUstarPrefixHeaders() throws Exception {
        TarBytes.H prefixed = TarBytes.h("file-in-a-deep-directory.txt");
        prefixed.prefix = "ustar/" + "p".repeat(90) + "/" + "q".repeat(40);
        byte[] tar = new TarBytes()
                .entry(TarBytes.h("v7/").type('5').mode(0755).magic(TarBytes.Magic.V7))
                .entry(TarBytes.h("v7/old").type('\0').mode(0100644).magic(TarBytes.Magic.V7), utf8("v7 data"))
                .entry(TarBytes.h("v7/olddir/").type('\0').mode(0755).magic(TarBytes.Magic.V7))
                .entry(prefixed, utf8("prefix"))
                .end();
        assertSameAsReference(tar, 4 << 20, 9);
    }

    @Test
    void duplicatesOldLandmarksOldTocRootEntryAndPrioritizedHardlinks() throws Exception {
        Random random = new Random(7);
        byte[] big = new byte[200_000];
        random.nextBytes(big);
        byte[] tar = new TarBytes()
                .entry(TarBytes.h("./").type('5').mode(0755))
                .entry(TarBytes.h("./a/").type('5').mode(0755))
                .entry(TarBytes.h("./a/dup"), utf8("first"))
                .entry(TarBytes.h(".prefetch.landmark"), new byte[] {0x0f})
                .entry(TarBytes.h("stargz.index.json"), utf8("{}"))
                .entry(TarBytes.h("./a/big"), big)
                .entry(TarBytes.h("./a/link").type('1').link("./a/big"))
                .entry(TarBytes.h("a/dup"), utf8("second wins, and moves here"))
                .entry(TarBytes.h("./b/").type('5').mode(0755))
                .entry(TarBytes.h("./b/link2").type('1').link("a/link"))
                .end();
        assertSameAsReference(tar, 65536, 9, "b/link2", "/a/dup", "missing/file");
        assertSameAsReference(tar, 4 << 20, 1);
    }
}
