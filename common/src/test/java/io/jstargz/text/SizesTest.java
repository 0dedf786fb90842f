package io.jstargz.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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

    @Test
    void sizesTakeBinaryUnitsInAnyCase() {
        assertEquals(0, Sizes.parse("0"));
        assertEquals(65536, Sizes.parse("65536"));
        assertEquals(512, Sizes.parse("512B"));
        assertEquals(64L << 10, Sizes.parse("64k"));
        assertEquals(4L << 20, Sizes.parse("4M"));
        assertEquals(4L << 20, Sizes.parse("4MiB"));
        assertEquals(1L << 30, Sizes.parse(" 1 GiB"));
        assertEquals(2L << 40, Sizes.parse("2TB"));
        assertEquals("not a size: \"1.5G\" (a number of bytes, or with a unit: 64K, 4M, 1GiB)",
                assertThrows(IllegalArgumentException.class, () -> Sizes.parse("1.5G")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Sizes.parse("-1"));
        assertThrows(IllegalArgumentException.class, () -> Sizes.parse("4X"));
        assertEquals("size too large: \"9000000T\"",
                assertThrows(IllegalArgumentException.class, () -> Sizes.parse("9000000T")).getMessage());
    }
}
