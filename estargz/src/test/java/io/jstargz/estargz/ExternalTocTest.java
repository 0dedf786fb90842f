package io.jstargz.estargz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jstargz.estargz.InvalidBlobException.Reason;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * eStargz with an external TOC: the blob ends with the reference's 46-byte {@code STARGZEXTERNALTOC} footer, the TOC
 * member is given apart; opened with it, the layer reads as the reference lists it.
 */
class ExternalTocTest {
    private static byte[] blob;
    private static ConvertResult result;

    @BeforeAll
    static void convert() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        result = new LayerConverter(ConvertOptions.defaults().withFormat(BlobFormat.ESTARGZ_EXTERNAL_TOC))
                .convert(TestData.vector("small1.tar"), out);
        blob = out.toByteArray();
    }

    private static LayerIndex open(ExternalTocSource toc, String expectedDigest) throws Exception {
        return EstargzReader.open(new TestData.CountingSource(blob), OpenOptions.defaults("external")
                .withExternalToc(toc).withExpectedTocDigest(expectedDigest));
    }

    @Test
    void theBlobEndsWithTheReferencesFooterAndReadsWithItsToc() throws Exception {
        byte[] footer = Arrays.copyOfRange(blob, blob.length - 46, blob.length);
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.writeBytes(new byte[] {0x1f, (byte) 0x8b, 8, 4, 0, 0, 0, 0, 0, (byte) 0xff, 21, 0, 'S', 'G', 17, 0});
        expected.writeBytes("STARGZEXTERNALTOC".getBytes(StandardCharsets.US_ASCII));
        expected.writeBytes(new byte[] {1, 0, 0, (byte) 0xff, (byte) 0xff, 0, 0, 0, 0, 0, 0, 0, 0});
        assertArrayEquals(expected.toByteArray(), footer);
        assertNotNull(result.externalToc());
        assertEquals(blob.length, result.size());

        LayerIndex index = open(max -> result.externalToc(), result.tocDigest());
        assertEquals(BlobFormat.ESTARGZ_EXTERNAL_TOC, index.format());
        assertEquals(Footer.EXTERNAL, index.tocOffset());
        assertEquals(blob.length - 46, index.payloadEnd());
        List<String> listing = new ArrayList<>();
        LayerVerifier.verify(new TestData.CountingSource(blob), index, listing::add);
        assertEquals(TestData.lines("small1-default.entries.jsonl"), listing);

        ByteArrayOutputStream inside = new ByteArrayOutputStream();
        ConvertResult plain = new LayerConverter(ConvertOptions.defaults()).convert(TestData.vector("small1.tar"),
                inside);
        assertNull(plain.externalToc());
        assertEquals(plain.tocDigest(), result.tocDigest(), "the same TOC as inside the blob");
        assertArrayEquals(Blobs.payloadTar(inside.toByteArray()), Blobs.payloadTar(blob));
        assertEquals(Digests.format(Digests.sha256().digest(Blobs.payloadTar(blob))), result.diffId(),
                "the layer's uncompressed stream ends with the payload: no TOC entry, no end-of-archive blocks");
    }

    @Test
    void aMissingWrongOrOversizedTocIsRefused() throws Exception {
        InvalidBlobException none = assertThrows(InvalidBlobException.class, () -> open(null, null));
        assertEquals(Reason.MISSING_TOC, none.reason());
        assertTrue(none.getMessage().contains("no TOC image was given"), none.getMessage());

        InvalidBlobException missing = assertThrows(InvalidBlobException.class, () -> open(max -> {
            throw new NoSuchFileException("registry/app:1-esgztoc has no TOC for the layer");
        }, null));
        assertEquals(Reason.MISSING_TOC, missing.reason());
        assertTrue(missing.getMessage().contains("app:1-esgztoc has no TOC"), missing.getMessage());

        ByteArrayOutputStream other = new ByteArrayOutputStream();
        ConvertResult otherLayer = new LayerConverter(ConvertOptions.defaults().withFormat(
                BlobFormat.ESTARGZ_EXTERNAL_TOC).withChunkSize(65536)).convert(TestData.vector("small1.tar"), other);
        InvalidBlobException wrong = assertThrows(InvalidBlobException.class,
                () -> open(max -> otherLayer.externalToc(), result.tocDigest()));
        assertEquals(Reason.TOC_DIGEST_MISMATCH, wrong.reason());

        InvalidBlobException huge = assertThrows(InvalidBlobException.class, () -> EstargzReader.open(
                new TestData.CountingSource(blob), OpenOptions.defaults("external").withLimits(100, 1 << 20, 1 << 20)
                        .withExternalToc(max -> result.externalToc())));
        assertEquals(Reason.TOC_TOO_LARGE, huge.reason());

        byte[] garbage = new byte[4000];
        InvalidBlobException broken = assertThrows(InvalidBlobException.class, () -> open(max -> garbage, null));
        assertEquals(Reason.BAD_TOC, broken.reason());
    }
}
