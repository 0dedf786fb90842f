package io.jstargz.estargz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

/**
 * Blobs that pack several small payloads into one gzip member (the reference's min-chunk-size option, recorded as
 * {@code innerOffset}): the chunks share a span, and each decodes from it.
 */
class InnerOffsetTest {

    private static byte[] gzip(byte[]... parts) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            for (byte[] p : parts) {
                gz.write(p);
            }
        }
        return out.toByteArray();
    }

    private static TocEntry reg(String name, byte[] data, long offset, long innerOffset) {
        TocEntry.Builder b = TocEntry.builder(name, "reg");
        b.size = data.length;
        b.offset = offset;
        b.innerOffset = innerOffset;
        b.digest = Digests.of(data);
        b.chunkDigest = b.digest;
        return b.build();
    }

    @Test
    void packedChunksShareOneSpanAndEachVerifies() throws Exception {
        byte[] a = "first file".getBytes(StandardCharsets.UTF_8);
        byte[] b = "second, packed behind the first".getBytes(StandardCharsets.UTF_8);
        byte[] c = "third, in a member of its own".getBytes(StandardCharsets.UTF_8);
        byte[] header = new byte[512];
        byte[] head = gzip(header);
        byte[] packed = gzip(a, new byte[512 - a.length], header, b, new byte[512 - b.length], header);
        byte[] own = gzip(c);
        long packedAt = head.length;
        long ownAt = packedAt + packed.length;
        long tocAt = ownAt + own.length;
        byte[] json = TocJsonWriter.write(List.of(reg("a", a, packedAt, 0), reg("b", b, packedAt, 1024),
                reg("c", c, ownAt, 0)));
        ByteArrayOutputStream blob = new ByteArrayOutputStream();
        blob.write(head);
        blob.write(packed);
        blob.write(own);
        blob.write(gzip(GoTarWriter.encode(TarHeader.regular(Landmarks.TOC_TAR_NAME, json.length)), json,
                new byte[(-json.length & 511) + 1024]));
        blob.write(Footer.estargz(tocAt));
        byte[] bytes = blob.toByteArray();

        LayerIndex index = EstargzReader.open(new TestData.CountingSource(bytes), OpenOptions.defaults("packed"));
        Entry ea = index.lookup("a").orElseThrow();
        Entry eb = index.lookup("b").orElseThrow();
        Chunk ca = ea.chunk(0);
        Chunk cb = eb.chunk(0);
        assertEquals(packedAt, ca.blobOffset());
        assertEquals(packedAt, cb.blobOffset());
        assertEquals(ownAt, ca.blobEnd(), "the span runs to the next member, past entries with an inner offset");
        assertEquals(ownAt, cb.blobEnd());
        assertEquals(1024, cb.innerOffset());
        assertEquals(tocAt, index.lookup("c").orElseThrow().chunk(0).blobEnd());
        ChunkTable t = index.chunks();
        assertEquals(t.spanOf(ea.firstChunk()), t.spanOf(eb.firstChunk()));
        assertEquals(2, t.spanChunkCount(t.spanOf(ea.firstChunk())), "a and b share one span");
        assertEquals(2, t.spanCount());

        byte[] span = java.util.Arrays.copyOfRange(bytes, (int) packedAt, (int) ownAt);
        byte[][] both = index.decoder().decodeSpan(t.spanOf(ea.firstChunk()), span, 0, span.length);
        assertArrayEquals(a, both[0]);
        assertArrayEquals(b, both[1], "one pass over the span gives every chunk it packs");
        LayerReader reader = new LayerReader(new TestData.CountingSource(bytes), index);
        assertArrayEquals(java.util.Arrays.copyOfRange(b, 8, 14), reader.read(eb, 8, 6));
        assertEquals(3, LayerVerifier.verify(new TestData.CountingSource(bytes), index, null).files());
    }
}
