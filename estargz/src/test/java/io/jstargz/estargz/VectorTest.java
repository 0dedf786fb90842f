package io.jstargz.estargz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The reference implementation's vectors open, their TOC digests match, and our view equals the reference's. */
class VectorTest {

    @ParameterizedTest
    @CsvSource({
        "small1-default.esgz, small1-default, estargz, NO_PREFETCH",
        "small1-chunk64k-prio.esgz, small1-chunk64k-prio, estargz, PREFETCH",
        "small1-default-legacyfooter.stargz, small1-default, legacy stargz, NO_PREFETCH"})
    void vectorOpensAndListsExactlyAsTheReference(String blob, String expectations, String format,
                                                   LayerIndex.Landmark landmark) throws Exception {
        String jsonl = blob.replaceAll("\\.(esgz|stargz)$", ".entries.jsonl");
        try (FileBlobSource src = FileBlobSource.open(TestData.vector(blob))) {
            String tocDigest = TestData.json(expectations + ".json").get("tocDigest").asText();
            LayerIndex index = EstargzReader.open(src, OpenOptions.defaults(blob).withExpectedTocDigest(tocDigest));
            assertEquals(format, index.format().name());
            assertEquals(tocDigest, index.tocDigest());
            assertEquals(landmark, index.landmark());
            List<String> listing = new ArrayList<>();
            LayerVerifier.Summary summary = LayerVerifier.verify(src, index, listing::add);
            assertEquals(TestData.lines(jsonl), listing);
            assertTrue(summary.bytes() > 600_000, "all file content was read: " + summary);
        }
    }

    @Test
    void prefetchRangeEndsAtThePrefetchLandmark() throws Exception {
        try (FileBlobSource src = FileBlobSource.open(TestData.vector("small1-chunk64k-prio.esgz"))) {
            LayerIndex index = EstargzReader.open(src, OpenOptions.defaults("prio"));
            Entry landmark = index.lookup(Landmarks.PREFETCH).orElseThrow();
            assertEquals(landmark.chunks().get(0).blobOffset(), index.prefetchEnd().orElseThrow());
            Entry passwd = index.lookup("etc/passwd").orElseThrow();
            assertTrue(passwd.chunks().get(0).blobEnd() <= index.prefetchEnd().orElseThrow());
            Entry text = index.lookup("/usr/share/text.txt").orElseThrow();
            assertTrue(text.chunks().get(0).blobOffset() > index.prefetchEnd().orElseThrow());
        }
    }

    @Test
    void openingCostsOneReadWhenTheTocFitsTheTailAndTwoOtherwise() throws Exception {
        byte[] blob = Files.readAllBytes(TestData.vector("small1-default.esgz"));
        TestData.CountingSource src = new TestData.CountingSource(blob);
        LayerIndex index = EstargzReader.open(src, OpenOptions.defaults("tail"));
        assertEquals(1, src.reads);
        long tocAndFooter = blob.length - index.tocOffset();

        TestData.CountingSource exact = new TestData.CountingSource(blob);
        EstargzReader.open(exact, OpenOptions.defaults("exact").withTailSize((int) tocAndFooter));
        assertEquals(1, exact.reads);

        TestData.CountingSource small = new TestData.CountingSource(blob);
        EstargzReader.open(small, OpenOptions.defaults("small").withTailSize(Footer.MAX_SIZE));
        assertEquals(2, small.reads);
        assertEquals(Footer.MAX_SIZE + index.tocSize(), small.bytesRead, "the second read is exactly the TOC");

        TestData.CountingSource split = new TestData.CountingSource(blob);
        EstargzReader.open(split, OpenOptions.defaults("split").withTailSize((int) tocAndFooter - 100));
        assertEquals(2, split.reads);
        assertEquals(tocAndFooter, split.bytesRead, "the second read is only the part of the TOC the tail missed");
    }
}
