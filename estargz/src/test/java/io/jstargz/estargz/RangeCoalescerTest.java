package io.jstargz.estargz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Coalescing byte ranges, and a local blob's multi-range reads and streams built on them. */
class RangeCoalescerTest {

    private static ByteRange r(long offset, long length) {
        return new ByteRange(offset, length);
    }

    @Test
    void neighboursWithinTheGapMergeOthersDoNot() {
        List<ByteRange> merged = RangeCoalescer.coalesce(List.of(r(100, 10), r(0, 10), r(10, 5), r(118, 7),
                r(1000, 1), r(112, 2)), 5);
        assertEquals(List.of(r(0, 15), r(100, 25), r(1000, 1)), merged);
    }

    @Test
    void overlapsAndContainedRangesMerge() {
        assertEquals(List.of(r(0, 100)), RangeCoalescer.coalesce(List.of(r(0, 100), r(10, 5), r(50, 50)), 0));
        assertEquals(List.of(r(0, 10), r(11, 1)), RangeCoalescer.coalesce(List.of(r(0, 10), r(11, 1)), 0));
    }

    @Test
    void mergingStopsAtTheSizeLimit() {
        long half = RangeCoalescer.MAX_MERGED_LENGTH / 2 + 1;
        assertEquals(List.of(r(0, half), r(half, half)), RangeCoalescer.coalesce(List.of(r(0, half), r(half, half)),
                0));
    }

    /** A blob in memory that records the reads made of it. */
    private static final class Recording implements RemoteBlob {
        final byte[] data = new byte[4096];
        final List<ByteRange> reads = new ArrayList<>();

        Recording() {
            for (int i = 0; i < data.length; i++) {
                data[i] = (byte) (i * 31);
            }
        }

        @Override
        public long size() {
            return data.length;
        }

        @Override
        public byte[] read(long offset, int length) {
            reads.add(r(offset, length));
            return Arrays.copyOfRange(data, (int) offset, (int) offset + length);
        }
    }

    @Test
    void aLocalBlobReadsTouchingRangesTogetherAndHandsEachItsBytesInTheOrderAsked() throws IOException {
        Recording blob = new Recording();
        List<byte[]> got = blob.readRanges(List.of(r(200, 50), r(100, 100), r(0, 0), r(1000, 24)));
        assertEquals(List.of(r(100, 150), r(1000, 24)), blob.reads);
        assertArrayEquals(Arrays.copyOfRange(blob.data, 200, 250), got.get(0));
        assertArrayEquals(Arrays.copyOfRange(blob.data, 100, 200), got.get(1));
        assertEquals(0, got.get(2).length);
        assertArrayEquals(Arrays.copyOfRange(blob.data, 1000, 1024), got.get(3));
    }

    @Test
    void aRangeThatIsAWholeReadGetsItsArrayNotACopy() {
        byte[] whole = new byte[10];
        List<byte[]> got = RangeCoalescer.split(List.of(r(5, 10)), List.of(r(5, 10)), List.of(whole));
        assertSame(whole, got.get(0));
    }

    @Test
    void aLocalBlobStreamsARangeAndSkipsInIt() throws IOException {
        Recording blob = new Recording();
        try (InputStream in = blob.openStream(10, 3000)) {
            assertEquals(blob.data[10] & 0xff, in.read());
            in.skipNBytes(100);
            byte[] rest = in.readAllBytes();
            assertArrayEquals(Arrays.copyOfRange(blob.data, 111, 3010), rest);
        }
    }
}
