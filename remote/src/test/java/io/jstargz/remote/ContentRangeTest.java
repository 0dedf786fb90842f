package io.jstargz.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.jstargz.estargz.ByteRange;
import org.junit.jupiter.api.Test;

/** Parsing Content-Range. */
class ContentRangeTest {

    private static ByteRange r(long offset, long length) {
        return new ByteRange(offset, length);
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
