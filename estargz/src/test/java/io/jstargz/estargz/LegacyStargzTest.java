package io.jstargz.estargz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jstargz.estargz.InvalidBlobException.Reason;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * True legacy stargz (CRFS): no chunk digests, so a file of several chunks is verified by its whole-file digest,
 * and none of its bytes is returned before all of them matched it.
 */
class LegacyStargzTest {
    static final String CRFS = "small1-chunk64k-crfs.stargz";

    private static byte[] blob() throws Exception {
        return Files.readAllBytes(TestData.vector(CRFS));
    }

    @Test
    void aCrfsBlobOpensAndEveryFileReadsAsTheReferenceListsIt() throws Exception {
        byte[] blob = blob();
        String tocDigest = TestData.json("small1-chunk64k-crfs.json").get("tocDigest").asText();
        LayerIndex index = EstargzReader.open(new TestData.CountingSource(blob),
                OpenOptions.defaults(CRFS).withExpectedTocDigest(tocDigest));
        assertEquals(BlobFormat.LEGACY_STARGZ, index.format());
        Entry big = index.lookup("usr/lib/big.bin").orElseThrow();
        assertEquals(5, big.chunkCount());
        ChunkTable t = index.chunks();
        int span = t.spanOf(big.firstChunk());
        assertTrue(t.verifiedWhole(span));
        assertEquals(5, t.spanChunkCount(span), "the file's five members are one span");
        assertEquals(big.chunk(0).blobOffset(), t.spanStart(span));
        assertEquals(big.chunk(4).blobEnd(), t.spanEnd(span));
        assertFalse(t.verifiedWhole(t.spanOf(index.lookup("etc/passwd").orElseThrow().firstChunk())),
                "a file of one chunk is verified by its digest as before");

        List<String> listing = new ArrayList<>();
        LayerVerifier.Summary summary = LayerVerifier.verify(new TestData.CountingSource(blob), index, listing::add);
        assertEquals(TestData.lines("small1-chunk64k-crfs.entries.jsonl"), listing);
        assertTrue(summary.bytes() > 600_000, summary.toString());

        TestData.CountingSource counting = new TestData.CountingSource(blob);
        byte[] middle = new LayerReader(counting, index).read(big, 200_000, 10);
        assertEquals(t.spanLength(span), counting.bytesRead, "a read of ten bytes fetches the whole file to verify it");
        byte[] whole = new LayerReader(new TestData.CountingSource(blob), index).read(big, 0, (int) big.size());
        assertArrayEquals(java.util.Arrays.copyOfRange(whole, 200_000, 200_010), middle);
    }

    @Test
    void aCorruptMemberFailsItsWholeFileAndNoByteOfItIsReturned() throws Exception {
        byte[] blob = blob();
        LayerIndex index = EstargzReader.open(new TestData.CountingSource(blob), OpenOptions.defaults(CRFS));
        Entry big = index.lookup("usr/lib/big.bin").orElseThrow();
        List<Long> members = new ArrayList<>();
        for (TocEntry e : Blobs.toc(blob)) {
            if (GoPaths.cleanEntryName(e.name()).equals("usr/lib/big.bin")) {
                members.add(e.offset());
            }
        }
        // a byte inside the fourth member: the first chunk, which is read below, is intact
        byte[] corrupt = blob.clone();
        corrupt[(int) (members.get(3) + members.get(4)) / 2] ^= 0x01;
        LayerReader reader = new LayerReader(new TestData.CountingSource(corrupt), index);
        ChunkVerificationException e = assertThrows(ChunkVerificationException.class,
                () -> reader.read(big, 0, 100));
        assertEquals("usr/lib/big.bin", e.path());
        assertTrue(e.getMessage().contains("do not match its digest")
                || e.getMessage().contains("cannot be decompressed"), e.getMessage());
        Entry passwd = index.lookup("etc/passwd").orElseThrow();
        assertArrayEquals(new LayerReader(new TestData.CountingSource(blob), index).read(passwd, 0, 100),
                reader.read(passwd, 0, 100), "other files still read");
    }

    @Test
    void aFileVerifiedWholeMustFitTheChunkLimit() throws Exception {
        InvalidBlobException e = assertThrows(InvalidBlobException.class, () -> EstargzReader.open(
                new TestData.CountingSource(blob()), OpenOptions.defaults(CRFS).withLimits(1 << 20, 1 << 20, 100_000)));
        assertEquals(Reason.CHUNK_TOO_LARGE, e.reason());
        assertTrue(e.getMessage().contains("usr/lib/big.bin") && e.getMessage().contains("verified whole"),
                e.getMessage());
    }
}
