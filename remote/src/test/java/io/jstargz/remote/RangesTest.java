package io.jstargz.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Coalescing byte ranges and parsing Content-Range. */
class RangesTest {

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

    @Test
    void contentRangeForms() {
        assertEquals(new ContentRange(0, 99, 1000), ContentRange.parse("bytes 0-99/1000"));
        assertEquals(new ContentRange(5, 5, -1), ContentRange.parse("bytes 5-5/*"));
        assertEquals(new ContentRange(-1, -1, 1000), ContentRange.parse("bytes */1000"));
        assertEquals(r(10, 11), ContentRange.parse("bytes 10-20/21").range());
        for (String bad : new String[] {"bytes 9-5/10", "bytes 0-10/10", "items 0-1/2", "bytes 0-1", "bytes x-1/2"}) {
            assertNull(ContentRange.parse(bad), bad);
        }
    }
}
