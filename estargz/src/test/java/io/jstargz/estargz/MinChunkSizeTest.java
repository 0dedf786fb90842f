package io.jstargz.estargz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code minChunkSize}: small files packed into shared members at inner offsets, as the reference's
 * {@code WithMinChunkSize} writes them. Only where members start changes: the uncompressed stream and the TOC
 * entries (offsets aside) are the reference's unpacked build's, and every file reads as the reference listed it.
 */
class MinChunkSizeTest {
    @TempDir
    Path tmp;

    private static byte[] convert(BlobFormat format, int minChunkSize) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new LayerConverter(ConvertOptions.defaults().withFormat(format).withMinChunkSize(minChunkSize)
                .withParallelism(2)).convert(TestData.vector("small1.tar"), out);
        return out.toByteArray();
    }

    @ParameterizedTest
    @ValueSource(strings = {"estargz", "zstd:chunked"})
    void smallFilesArePackedAndEveryFileStillReadsAsTheReferenceListsIt(String formatName) throws Exception {
        BlobFormat format = formatName.equals("estargz") ? BlobFormat.ESTARGZ : BlobFormat.ZSTD_CHUNKED;
        byte[] unpacked = convert(format, 0);
        byte[] packed = convert(format, 16 << 10);
        LayerIndex plain = EstargzReader.open(new TestData.CountingSource(unpacked), OpenOptions.defaults("plain"));
        LayerIndex index = EstargzReader.open(new TestData.CountingSource(packed), OpenOptions.defaults("packed"));
        ChunkTable t = index.chunks();
        assertEquals(plain.chunks().count(), t.count());
        assertEquals(plain.chunks().spanCount(), plain.chunks().count(), "without packing a span holds one chunk");
        assertTrue(t.spanCount() < t.count() / 2, t.spanCount() + " spans for " + t.count() + " chunks");
        assertTrue(packed.length < unpacked.length, packed.length + " vs " + unpacked.length + " bytes");

        Entry landmark = index.lookup(Landmarks.NO_PREFETCH).orElseThrow();
        assertEquals(0, landmark.chunk(0).innerOffset(), "a landmark starts a member of its own");
        assertEquals(t.spanFirstChunk(t.spanOf(landmark.firstChunk())), landmark.firstChunk());

        List<String> listing = new ArrayList<>();
        LayerVerifier.verify(new TestData.CountingSource(packed), index, listing::add);
        assertEquals(TestData.lines("small1-default.entries.jsonl"), listing);
        assertArrayEquals(Blobs.payloadTar(unpacked), Blobs.payloadTar(packed), "the uncompressed stream");
        assertEquals(Blobs.tocWithoutOffsets(unpacked), Blobs.tocWithoutOffsets(packed));
        assertNotEquals(Blobs.toc(unpacked), Blobs.toc(packed));
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 4096})
    void theReferenceBuildsTheSameStreamAndEntries(int minChunkSize) throws Exception {
        Path ref = tmp.resolve("ref.esgz");
        RefCheck.Result r = RefCheck.refcheck("build", TestData.vector("small1.tar").toString(), ref.toString(),
                "65536", "9");
        assertEquals(0, r.exit(), r.stderr());
        byte[] refBlob = Files.readAllBytes(ref);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new LayerConverter(ConvertOptions.defaults().withChunkSize(65536).withMinChunkSize(minChunkSize))
                .convert(TestData.vector("small1.tar"), out);
        byte[] ours = out.toByteArray();
        assertArrayEquals(Blobs.payloadTar(refBlob), Blobs.payloadTar(ours));
        assertEquals(Blobs.tocWithoutOffsets(refBlob), Blobs.tocWithoutOffsets(ours));
        // Debian's reference (0.12) predates innerOffset (stargz-snapshotter 0.13): it cannot verify packed blobs
        Path oursFile = Files.write(tmp.resolve("ours.esgz"), ours);
        if (minChunkSize > 1) {
            RefCheck.Result check = RefCheck.refcheck("list", oursFile.toString());
            assertNotEquals(0, check.exit(), "the 0.12 reader cannot read inner offsets: " + check.stdout());
        }
    }
}
