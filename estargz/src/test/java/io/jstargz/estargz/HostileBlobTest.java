package io.jstargz.estargz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jstargz.estargz.InvalidBlobException.Reason;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemLoopException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Hostile blobs get a typed exception naming what is wrong; never a hang, an OOM, an escape or unverified bytes. */
class HostileBlobTest {
    private static byte[] valid;
    private static List<TocEntry> validToc;
    private static long validTocOffset;

    @BeforeAll
    static void buildValidBlob() throws Exception {
        byte[] big = new byte[5000];
        new Random(1).nextBytes(big);
        byte[] tar = new TarBytes()
                .entry(TarBytes.h("dir/").type('5').mode(0755))
                .entry(TarBytes.h("dir/a.txt"), "hello".getBytes(StandardCharsets.UTF_8))
                .entry(TarBytes.h("dir/big.bin"), big)
                .entry(TarBytes.h("dir/link").type('1').link("dir/a.txt"))
                .entry(TarBytes.h("loop1").type('2').link("loop2"))
                .entry(TarBytes.h("loop2").type('2').link("/loop1"))
                .entry(TarBytes.h("last.txt"), "the last file".getBytes(StandardCharsets.UTF_8))
                .end();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new LayerConverter(ConvertOptions.defaults().withChunkSize(2000).withParallelism(1))
                .convert(new java.io.ByteArrayInputStream(tar), out);
        valid = out.toByteArray();
        validToc = Blobs.toc(valid);
        validTocOffset = open(valid).tocOffset();
    }

    private static LayerIndex open(byte[] blob) throws Exception {
        return EstargzReader.open(new TestData.CountingSource(blob), OpenOptions.defaults("hostile"));
    }

    /** The valid payload followed by a TOC member holding {@code json} and a footer pointing at it. */
    private static byte[] withTocJson(byte[] json) throws Exception {
        ByteArrayOutputStream toc = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(toc)) {
            gz.write(GoTarWriter.encode(TarHeader.regular(Landmarks.TOC_TAR_NAME, json.length)));
            gz.write(json);
            gz.write(new byte[(-json.length & 511) + 1024]);
        }
        ByteArrayOutputStream blob = new ByteArrayOutputStream();
        blob.write(valid, 0, (int) validTocOffset);
        toc.writeTo(blob);
        blob.write(Footer.estargz(validTocOffset));
        return blob.toByteArray();
    }

    private static byte[] withToc(Consumer<List<TocEntry.Builder>> edit) throws Exception {
        List<TocEntry.Builder> entries = new ArrayList<>();
        validToc.forEach(e -> entries.add(e.toBuilder()));
        edit.accept(entries);
        List<TocEntry> out = new ArrayList<>();
        entries.forEach(b -> out.add(b.build()));
        return withTocJson(TocJsonWriter.write(out));
    }

    private static TocEntry.Builder find(List<TocEntry.Builder> entries, String name, String type) {
        return entries.stream().filter(e -> e.name.equals(name) && e.type.equals(type)).findFirst().orElseThrow();
    }

    private static void assertInvalid(Reason reason, String fragment, byte[] blob) {
        InvalidBlobException e = assertThrows(InvalidBlobException.class, () -> open(blob));
        assertEquals(reason, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
        assertTrue(e.getMessage().contains("layer hostile"), "names the layer: " + e.getMessage());
    }

    @Test
    void theUnmodifiedRebuiltBlobIsValid() throws Exception {
        LayerIndex index = open(withToc(entries -> { }));
        assertEquals(5000, index.lookup("dir/big.bin").orElseThrow().size());
    }

    @Test
    void modificationTimesInEveryRfc3339FormOrNoneAtAll() throws Exception {
        Map<String, Long> seconds = new LinkedHashMap<>();
        seconds.put("2023-11-14T22:13:20Z", 1700000000L);
        seconds.put("2024-02-29T23:59:59Z", 1709251199L);
        seconds.put("2023-11-15T00:13:20+02:00", 1700000000L);
        seconds.put("2023-11-14T22:13:20.999999999Z", 1700000000L);
        seconds.put("1969-12-31T23:59:59Z", -1L);
        seconds.put("2023-02-29T00:00:00Z", 0L); // no such day: ignored, as the reference does
        seconds.put("2023-13-01T00:00:00Z", 0L);
        seconds.put("yesterday", 0L);
        for (Map.Entry<String, Long> t : seconds.entrySet()) {
            LayerIndex index = open(withToc(e -> find(e, "dir/a.txt", "reg").modtime = t.getKey()));
            assertEquals(t.getValue(), index.lookup("dir/a.txt").orElseThrow().modTimeSeconds(), t.getKey());
        }
    }

    @Test
    void truncatedOrGarbageFooters() throws Exception {
        assertInvalid(Reason.BAD_FOOTER, "smaller than any stargz footer", Arrays.copyOf(valid, 40));
        byte[] garbage = new byte[4096];
        new Random(2).nextBytes(garbage);
        assertInvalid(Reason.BAD_FOOTER, "no stargz footer", garbage);
        assertInvalid(Reason.BAD_FOOTER, "no stargz footer", Arrays.copyOf(valid, valid.length - 10));
        byte[] badHex = valid.clone();
        badHex[badHex.length - 51 + 20] = 'z';
        assertInvalid(Reason.BAD_FOOTER, "%016xSTARGZ", badHex);
    }

    @Test
    void tocOffsetOutsideTheBlob() throws Exception {
        byte[] blob = valid.clone();
        System.arraycopy(Footer.estargz(blob.length), 0, blob, blob.length - 51, 51);
        assertInvalid(Reason.TOC_OUT_OF_RANGE, "outside the blob payload", blob);
        System.arraycopy(Footer.estargz(Long.MAX_VALUE), 0, blob, blob.length - 51, 51);
        assertInvalid(Reason.TOC_OUT_OF_RANGE, "outside the blob payload", blob);
        System.arraycopy(Footer.estargz(3), 0, blob, blob.length - 51, 51);
        assertInvalid(Reason.BAD_TOC, "cannot decode the TOC", blob);
    }

    @Test
    void hugeDeclaredSizes() throws Exception {
        InvalidBlobException tooBig = assertThrows(InvalidBlobException.class, () -> EstargzReader.open(
                new TestData.CountingSource(valid), OpenOptions.defaults("hostile").withLimits(100, 1 << 20, 1 << 20)));
        assertEquals(Reason.TOC_TOO_LARGE, tooBig.reason());
        InvalidBlobException json = assertThrows(InvalidBlobException.class, () -> EstargzReader.open(
                new TestData.CountingSource(valid), OpenOptions.defaults("hostile").withLimits(1 << 20, 100, 1 << 20)));
        assertEquals(Reason.TOC_TOO_LARGE, json.reason());
        assertInvalid(Reason.CHUNK_TOO_LARGE, "over the limit", withToc(e -> {
            TocEntry.Builder last = find(e, "last.txt", "reg");
            last.size = 1L << 60;
        }));
        byte[] inflateBomb = withToc(e -> find(e, "last.txt", "reg").innerOffset = 1L << 50);
        assertInvalid(Reason.CHUNK_OUT_OF_RANGE, "compressed bytes can hold", inflateBomb);
    }

    @Test
    void invalidJson() throws Exception {
        assertInvalid(Reason.BAD_TOC_JSON, "invalid TOC JSON", withTocJson("{\"version\": 1, \"entries\": [".getBytes()));
        assertInvalid(Reason.BAD_TOC_JSON, "unsupported TOC version 2", withTocJson("{\"version\":2}".getBytes()));
        assertInvalid(Reason.BAD_TOC_JSON, "not an integer",
                withTocJson("{\"version\":1,\"entries\":[{\"name\":\"a\",\"type\":\"reg\",\"size\":\"9\"}]}".getBytes()));
        assertInvalid(Reason.BAD_TOC_JSON, "invalid TOC JSON", withTocJson(("{\"version\":1,\"x\":"
                + "[".repeat(100_000) + "]".repeat(100_000) + "}").getBytes()));
        assertInvalid(Reason.BAD_TOC_JSON, "not base64", withTocJson(("{\"version\":1,\"entries\":[{\"name\":"
                + "\"a\",\"type\":\"dir\",\"xattrs\":{\"user.x\":\"!!\"}}]}").getBytes()));
    }

    @Test
    void brokenTocMember() throws Exception {
        byte[] blob = valid.clone();
        Arrays.fill(blob, (int) validTocOffset, (int) validTocOffset + 12, (byte) 0x55);
        assertInvalid(Reason.BAD_TOC, "no gzip header", blob);
        ByteArrayOutputStream toc = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(toc)) {
            gz.write(GoTarWriter.encode(TarHeader.regular("not-the-toc.json", 2)));
            gz.write("{}".getBytes());
            gz.write(new byte[510 + 1024]);
        }
        ByteArrayOutputStream renamed = new ByteArrayOutputStream();
        renamed.write(valid, 0, (int) validTocOffset);
        toc.writeTo(renamed);
        renamed.write(Footer.estargz(validTocOffset));
        assertInvalid(Reason.BAD_TOC, "not stargz.index.json", renamed.toByteArray());

        ByteArrayOutputStream paxFlood = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(paxFlood)) {
            byte[] record = PaxRecords.record("comment", new byte[(1 << 20) - 32]);
            for (int i = 0; i < 8; i++) {
                gz.write(new TarBytes().entry(TarBytes.h("x").type('x'), record).bytesSoFar());
            }
        }
        ByteArrayOutputStream flooded = new ByteArrayOutputStream();
        flooded.write(valid, 0, (int) validTocOffset);
        paxFlood.writeTo(flooded);
        flooded.write(Footer.estargz(validTocOffset));
        assertInvalid(Reason.BAD_TOC, "bytes of tar headers before the TOC JSON", flooded.toByteArray());
        byte[] expected = "sha256:0000000000000000000000000000000000000000000000000000000000000000".getBytes();
        InvalidBlobException mismatch = assertThrows(InvalidBlobException.class, () -> EstargzReader.open(
                new TestData.CountingSource(valid), OpenOptions.defaults("hostile")
                        .withExpectedTocDigest(new String(expected))));
        assertEquals(Reason.TOC_DIGEST_MISMATCH, mismatch.reason());
    }

    @Test
    void unsafeNames() throws Exception {
        assertInvalid(Reason.UNSAFE_NAME, "contains a \"..\" component",
                withToc(e -> find(e, "dir/a.txt", "reg").name = "../etc/passwd"));
        assertInvalid(Reason.UNSAFE_NAME, "absolute path", withToc(e -> find(e, "dir/a.txt", "reg").name = "/etc/x"));
        assertInvalid(Reason.UNSAFE_NAME, "contains a \"..\" component",
                withToc(e -> find(e, "dir/a.txt", "reg").name = "dir/../../x"));
        assertInvalid(Reason.UNSAFE_NAME, "hardlink target",
                withToc(e -> find(e, "dir/link", "hardlink").linkName = "../../etc/shadow"));
    }

    @Test
    void duplicateEntries() throws Exception {
        assertInvalid(Reason.DUPLICATE_ENTRY, "\"dir/a.txt\"", withToc(e -> {
            TocEntry.Builder dup = TocEntry.builder("./dir/a.txt", "symlink");
            dup.linkName = "x";
            e.add(dup);
        }));
    }

    @Test
    void chunkOffsetsOutOfOrderOrOutsideTheBlob() throws Exception {
        assertInvalid(Reason.BAD_CHUNKS, "out of order", withToc(e -> {
            long a = find(e, "dir/a.txt", "reg").offset;
            find(e, "dir/a.txt", "reg").offset = find(e, "last.txt", "reg").offset;
            find(e, "last.txt", "reg").offset = a;
        }));
        assertInvalid(Reason.CHUNK_OUT_OF_RANGE, "outside the payload",
                withToc(e -> find(e, "last.txt", "reg").offset = validTocOffset + 10));
        assertInvalid(Reason.CHUNK_OUT_OF_RANGE, "outside the payload",
                withToc(e -> find(e, "dir/a.txt", "reg").offset = 0));
        assertInvalid(Reason.BAD_CHUNKS, "starts at", withToc(e -> find(e, "dir/big.bin", "chunk").chunkOffset = 1999));
        assertInvalid(Reason.BAD_CHUNKS, "chunks cover 4500 of 5000", withToc(e -> e.stream()
                .filter(c -> c.type.equals("chunk") && c.chunkOffset == 4000).findFirst().orElseThrow().chunkSize = 500));
        assertInvalid(Reason.BAD_CHUNKS, "outside the file", withToc(e -> find(e, "dir/big.bin", "reg").size = 3000));
        assertInvalid(Reason.BAD_CHUNKS, "does not follow a regular file",
                withToc(e -> e.add(0, TocEntry.builder("x", "chunk"))));
    }

    @Test
    void decompressionYieldingFewerOrMoreBytesThanTheTocSaysIsNeverReturned() throws Exception {
        byte[] more = withToc(e -> {
            TocEntry.Builder last = find(e, "last.txt", "reg");
            last.size += 1000;
        });
        LayerIndex index = open(more);
        Entry last = index.lookup("last.txt").orElseThrow();
        LayerReader reader = new LayerReader(new TestData.CountingSource(more), index);
        ChunkVerificationException fewer = assertThrows(ChunkVerificationException.class,
                () -> reader.read(last, 0, 100));
        assertTrue(fewer.getMessage().contains("compressed data ended"), fewer.getMessage());
        assertEquals("last.txt", fewer.path());

        byte[] less = withToc(e -> find(e, "last.txt", "reg").size -= 3);
        LayerIndex lessIndex = open(less);
        ChunkVerificationException mismatch = assertThrows(ChunkVerificationException.class,
                () -> new LayerReader(new TestData.CountingSource(less), lessIndex)
                        .read(lessIndex.lookup("last.txt").orElseThrow(), 0, 100));
        assertTrue(mismatch.getMessage().contains("does not match its digest"), mismatch.getMessage());
    }

    @Test
    void corruptPayloadBytesFailVerification() throws Exception {
        LayerIndex index = open(valid);
        Entry big = index.lookup("dir/big.bin").orElseThrow();
        Chunk second = big.chunks().get(1);
        byte[] corrupt = valid.clone();
        corrupt[(int) (second.blobOffset() + second.spanLength() / 2)] ^= 0x40;
        LayerReader reader = new LayerReader(new TestData.CountingSource(corrupt), open(corrupt));
        Entry bigAgain = reader.index().lookup("dir/big.bin").orElseThrow();
        assertArrayEquals(new LayerReader(new TestData.CountingSource(valid), index).read(big, 0, 2000),
                reader.read(bigAgain, 0, 2000), "the intact first chunk still reads");
        ChunkVerificationException e = assertThrows(ChunkVerificationException.class,
                () -> reader.read(bigAgain, 2000, 10));
        assertEquals(2000, e.fileOffset());
        assertTrue(e.getMessage().contains("layer hostile") && e.getMessage().contains("dir/big.bin"), e.getMessage());
        assertThrows(ChunkVerificationException.class, () -> LayerVerifier.verify(
                new TestData.CountingSource(corrupt), reader.index(), null));
    }

    @Test
    void hardlinksToMissingTargetsCyclesAndDirectories() throws Exception {
        assertInvalid(Reason.BAD_HARDLINK, "which has no entry",
                withToc(e -> find(e, "dir/link", "hardlink").linkName = "dir/nothing"));
        assertInvalid(Reason.BAD_HARDLINK, "hardlink cycle", withToc(e -> {
            find(e, "dir/link", "hardlink").linkName = "dir/link2";
            TocEntry.Builder back = TocEntry.builder("dir/link2", "hardlink");
            back.linkName = "dir/link";
            e.add(back);
        }));
        assertInvalid(Reason.BAD_HARDLINK, "points to the directory",
                withToc(e -> find(e, "dir/link", "hardlink").linkName = "dir"));
    }

    @Test
    void treeAndEntryDefects() throws Exception {
        assertInvalid(Reason.BAD_TREE, "which is not a directory", withToc(e -> e.add(TocEntry.builder(
                "last.txt/inside", "dir"))));
        assertInvalid(Reason.BAD_ENTRY, "unknown type", withToc(e -> find(e, "dir/", "dir").type = "socket"));
        assertInvalid(Reason.BAD_ENTRY, "negative", withToc(e -> find(e, "dir/a.txt", "reg").uid = -1));
        assertInvalid(Reason.MISSING_DIGEST, "no digest of its own", withToc(e -> {
            find(e, "dir/big.bin", "chunk").chunkDigest = "";
            find(e, "dir/big.bin", "reg").digest = "";
        }));
        assertInvalid(Reason.MISSING_DIGEST, "no chunkDigest", withToc(e -> {
            TocEntry.Builder a = find(e, "dir/a.txt", "reg");
            a.chunkDigest = "";
            a.digest = "";
        }));
        assertInvalid(Reason.BAD_ENTRY, "malformed chunkDigest", withToc(e -> find(e, "last.txt", "reg")
                .chunkDigest = "sha256:XYZ"));
    }

    @Test
    void modesBeyond32BitsAndFilesNamedAfterTheirContents() throws Exception {
        assertInvalid(Reason.BAD_ENTRY, "mode beyond 32 bits", withToc(e -> find(e, "dir/a.txt", "reg").mode = 1L << 40));
        assertInvalid(Reason.BAD_TREE, "entries before it are inside \"x\", which is not a directory", withToc(e -> {
            e.add(TocEntry.builder("x/y/", "dir"));
            TocEntry.Builder file = TocEntry.builder("x", "symlink");
            file.linkName = "dir";
            e.add(file);
        }));
        assertInvalid(Reason.BAD_TREE, "which is a hardlink", withToc(e -> e.add(TocEntry.builder("dir/link/x",
                "dir"))));
    }

    @Test
    void aWrongDigestIsReportedEvenWhenTheJsonIsBroken() throws Exception {
        byte[] broken = withTocJson("{\"version\": 1, \"entries\": [{\"name\": 7}]}".getBytes());
        InvalidBlobException e = assertThrows(InvalidBlobException.class, () -> EstargzReader.open(
                new TestData.CountingSource(broken), OpenOptions.defaults("hostile").withExpectedTocDigest(
                        "sha256:0000000000000000000000000000000000000000000000000000000000000000")));
        assertEquals(Reason.TOC_DIGEST_MISMATCH, e.reason(), e.getMessage());
        assertInvalid(Reason.BAD_TOC_JSON, "\"name\" is not a string", broken);
    }

    @Test
    void symlinkLoopsEndWithAnErrorNotAHang() throws Exception {
        LayerIndex index = open(valid);
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            FileSystemLoopException e = assertThrows(FileSystemLoopException.class, () -> index.resolve("loop1/x"));
            assertTrue(e.getMessage().contains("loop1"), e.getMessage());
        });
        assertEquals("dir/a.txt", index.resolve("/dir/../dir/link").path());
    }
}
