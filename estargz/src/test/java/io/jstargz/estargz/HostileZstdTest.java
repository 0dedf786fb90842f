package io.jstargz.estargz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jstargz.estargz.InvalidBlobException.Reason;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Hostile zstd:chunked blobs: each is refused with one clear error (or, for a chunk, fails its read), quickly and
 * without allocating what the blob claims.
 */
class HostileZstdTest {
    private static byte[] valid;
    private static LayerIndex validIndex;

    @BeforeAll
    static void buildValidBlob() throws Exception {
        byte[] big = new byte[5000];
        new Random(1).nextBytes(big);
        byte[] tar = new TarBytes()
                .entry(TarBytes.h("dir/").type('5').mode(0755))
                .entry(TarBytes.h("dir/a.txt"), "hello".getBytes(StandardCharsets.UTF_8))
                .entry(TarBytes.h("dir/big.bin"), big)
                .end();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new LayerConverter(ConvertOptions.defaults().withFormat(BlobFormat.ZSTD_CHUNKED).withChunkSize(2000)
                .withParallelism(1)).convert(new java.io.ByteArrayInputStream(tar), out);
        valid = out.toByteArray();
        validIndex = open(valid);
    }

    private static LayerIndex open(byte[] blob) throws Exception {
        return EstargzReader.open(new TestData.CountingSource(blob), OpenOptions.defaults("hostile"));
    }

    private static void assertInvalid(Reason reason, String message, byte[] blob) {
        InvalidBlobException e = assertThrows(InvalidBlobException.class, () -> assertTimeoutPreemptively(
                Duration.ofSeconds(5), () -> open(blob)));
        assertEquals(reason, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains(message), e.getMessage());
        assertTrue(e.getMessage().startsWith("layer hostile: "), e.getMessage());
    }

    /** The footer's 40 bytes, to patch: offset, compressed size, JSON size, manifest type, magic. */
    private static ByteBuffer footer(byte[] blob) {
        return ByteBuffer.wrap(blob, blob.length - 40, 40).slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    @Test
    void theValidBlobIsZstdChunked() throws Exception {
        assertEquals(BlobFormat.ZSTD_CHUNKED, validIndex.format());
        assertEquals(validIndex.tocOffset(), validIndex.payloadEnd());
        LayerVerifier.verify(new TestData.CountingSource(valid), validIndex, null);
    }

    @Test
    void aTruncatedFrameFailsItsChunkAndNothingElse() throws Exception {
        // the payload with its last frame (big.bin's last chunk) cut short, then a TOC and footer made anew
        int end = (int) validIndex.payloadEnd();
        ByteArrayOutputStream blob = new ByteArrayOutputStream();
        try (ParallelMemberWriter w = new ParallelMemberWriter(blob, new ZstdCodec(3, false), 1)) {
            w.writeRaw(Arrays.copyOf(valid, end - 6));
            BlobFormat.ZSTD_CHUNKED.writeToc(w, TocJsonWriter.write(Blobs.toc(valid)));
        }
        byte[] truncated = blob.toByteArray();
        LayerIndex index = open(truncated);
        Entry big = index.lookup("dir/big.bin").orElseThrow();
        LayerReader reader = new LayerReader(new TestData.CountingSource(truncated), index);
        ChunkVerificationException e = assertThrows(ChunkVerificationException.class,
                () -> reader.read(big, 4500, 100));
        assertTrue(e.getMessage().contains("zstd frame is truncated"), e.getMessage());
        assertEquals(5, reader.read(index.lookup("dir/a.txt").orElseThrow(), 0, 100).length);
    }

    @Test
    void aLyingSkippableFrameIsRefused() throws Exception {
        byte[] blob = valid.clone();
        ByteBuffer.wrap(blob, (int) validIndex.tocOffset() + 4, 4).order(ByteOrder.LITTLE_ENDIAN)
                .putInt((int) validIndex.tocSize() + 100);
        assertInvalid(Reason.BAD_TOC, "not in a skippable frame of the", blob);
        byte[] footerFrame = valid.clone();
        ByteBuffer.wrap(footerFrame, footerFrame.length - 44, 4).order(ByteOrder.LITTLE_ENDIAN).putInt(41);
        assertInvalid(Reason.BAD_FOOTER, "not in a skippable frame of 40 bytes", footerFrame);
    }

    @Test
    void aTocLargerThanTheBlobIsRefused() throws Exception {
        byte[] blob = valid.clone();
        footer(blob).putLong(8, 1L << 40);
        assertInvalid(Reason.TOC_OUT_OF_RANGE, "outside the blob payload", blob);
        byte[] past = valid.clone();
        footer(past).putLong(0, blob.length + 10);
        assertInvalid(Reason.TOC_OUT_OF_RANGE, "outside the blob payload", past);
    }

    @Test
    void aTocJsonSizeThatLiesIsRefused() throws Exception {
        long json = footer(valid).getLong(16);
        byte[] smaller = valid.clone();
        footer(smaller).putLong(16, json - 1);
        assertInvalid(Reason.BAD_TOC, "decompress to more than", smaller);
        byte[] larger = valid.clone();
        footer(larger).putLong(16, json + 1);
        assertInvalid(Reason.BAD_TOC, "short", larger);
        byte[] huge = valid.clone();
        footer(huge).putLong(16, 1L << 40);
        assertInvalid(Reason.TOC_TOO_LARGE, "over the limit", huge);
    }

    @Test
    void aCorruptTocFrameOrFooterIsRefused() throws Exception {
        byte[] toc = valid.clone();
        toc[(int) validIndex.tocOffset() + 8 + 20] ^= 0x55;
        assertInvalid(Reason.BAD_TOC, "cannot decode the TOC", toc);
        byte[] type = valid.clone();
        footer(type).putLong(24, 2);
        assertInvalid(Reason.BAD_FOOTER, "manifest type 2", type);
        byte[] magic = valid.clone();
        magic[magic.length - 1] ^= 0x20;
        assertInvalid(Reason.BAD_FOOTER, "zstd:chunked: no GnUlInUx magic", magic);
    }
}
