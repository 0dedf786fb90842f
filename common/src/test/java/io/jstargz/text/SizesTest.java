package io.jstargz.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class SizesTest {
    @Test
    void bytesKibibytesAndMoreWithOneDecimal() {
        assertEquals("812 B", Sizes.human(812));
        assertEquals("1.5 KiB", Sizes.human(1536));
        assertEquals("32.0 MiB", Sizes.human(32L << 20));
        assertEquals("1.0 GiB", Sizes.human((1L << 30) + 1));
        assertEquals("2048.0 TiB", Sizes.human(1L << 51));
    }
}
