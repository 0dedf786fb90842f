package io.jstargz.estargz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Spans inflated whole (libdeflate) give exactly what streaming them through zlib gives, and what libdeflate will
 * not inflate goes the streaming way, whose errors name the chunk.
 */
class WholeInflaterTest {

    @Test
    void libdeflateInflatesOnAJdkWithTheFfmApi() {
        // the tests run on the launcher's JDK (25), and scripts/setup.sh installs libdeflate0
        assertTrue(Runtime.version().feature() >= 22, "this module's tests run on JDK 22 or later");
        assertNotNull(WholeInflater.get(), "libdeflate.so.0 did not load (Debian: apt-get install libdeflate0)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"small1-default.esgz", "small1-chunk64k-prio.esgz", "small1-default-legacyfooter.stargz",
            "small1-chunk64k-crfs.stargz"})
    void everySpanInflatesWholeToWhatItStreamsTo(String vector) throws Exception {
        byte[] blob = Files.readAllBytes(TestData.vector(vector));
        LayerIndex index = EstargzReader.open(FileBlobSource.open(TestData.vector(vector)),
                OpenOptions.defaults(vector));
        ChunkTable t = index.chunks();
        int whole = 0;
        for (int s = 0; s < t.spanCount(); s++) {
            byte[] span = Arrays.copyOfRange(blob, (int) t.spanStart(s), (int) t.spanEnd(s));
            byte[] inflated = index.format().decompressWhole(span, 0, span.length, needed(t, s));
            if (inflated != null) {
                assertArrayEquals(streamed(index.format(), span), inflated, vector + " span " + s);
                whole++;
            }
            byte[][] chunks = index.decoder().decodeSpan(s, span, 0, span.length);
            assertTrue(chunks.length > 0);
        }
        assertTrue(whole == t.spanCount(), vector + ": " + whole + " of " + t.spanCount() + " spans inflated whole");
    }

    @Test
    void aCorruptSpanIsLeftToTheStreamingPathWhichRefusesIt() throws Exception {
        byte[] blob = Files.readAllBytes(TestData.vector("small1-default.esgz"));
        LayerIndex index = EstargzReader.open(FileBlobSource.open(TestData.vector("small1-default.esgz")),
                OpenOptions.defaults("corrupt"));
        ChunkTable t = index.chunks();
        int s = largestSpan(t);
        byte[] span = Arrays.copyOfRange(blob, (int) t.spanStart(s), (int) t.spanEnd(s));
        byte[] good = index.format().decompressWhole(span, 0, span.length, needed(t, s));
        assertNotNull(good);
        assertNull(WholeInflater.get().inflate(span, 0, span.length, good.length - 1), "more than its capacity");
        assertNull(WholeInflater.get().inflate(span, 0, span.length - 1, good.length), "its trailer cut");

        span[span.length / 2] ^= 0x55;
        assertNull(index.format().decompressWhole(span, 0, span.length, needed(t, s)));
        ChunkVerificationException e = assertThrows(ChunkVerificationException.class,
                () -> index.decoder().decodeSpan(s, span, 0, span.length));
        assertTrue(e.getMessage().contains(index.directories().path(t.file(t.spanFirstChunk(s)))), e.getMessage());
    }

    private static long needed(ChunkTable t, int s) {
        long needed = 0;
        for (int g = t.spanFirstChunk(s); g < t.spanFirstChunk(s) + t.spanChunkCount(s); g++) {
            needed = Math.max(needed, t.innerOffset(g) + t.size(g));
        }
        return needed;
    }

    private static int largestSpan(ChunkTable t) {
        int largest = 0;
        for (int s = 1; s < t.spanCount(); s++) {
            if (t.spanEnd(s) - t.spanStart(s) > t.spanEnd(largest) - t.spanStart(largest)) {
                largest = s;
            }
        }
        return largest;
    }

    /** Everything the span's members inflate to, through zlib. */
    private static byte[] streamed(BlobFormat format, byte[] span) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        try (DecodeStream in = format.openSpan(span, 0, span.length)) {
            for (int n; (n = in.read(buf, 0, buf.length)) >= 0; ) {
                out.write(buf, 0, n);
            }
        }
        return out.toByteArray();
    }
}
