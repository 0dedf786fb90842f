package io.jstargz.cache;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CacheKeyTest {

    private static final String HEX = "0123456789abcdef".repeat(4);

    @Test
    void digestKeyNamesItsFileAfterTheDigest() {
        CacheKey key = CacheKey.ofDigest("sha256:" + HEX);
        assertEquals("sha256-" + HEX, key.fileName());
        assertEquals("sha256:" + HEX, key.toString());
        assertEquals(OptionalLong.empty(), key.blobOffset());
        assertTrue(key.shardHex().startsWith("0123"));
        assertEquals(key, CacheKey.fromFileName(key.fileName()));
    }

    @Test
    void blobOffsetKeyRoundTripsThroughItsFileName() {
        CacheKey key = CacheKey.ofBlobOffset("sha512:" + HEX + HEX, 123456789L);
        assertEquals("sha512-" + HEX + HEX + "@123456789", key.fileName());
        assertEquals(OptionalLong.of(123456789L), key.blobOffset());
        assertEquals(key, CacheKey.fromFileName(key.fileName()));
        assertNotEquals(key, CacheKey.ofBlobOffset("sha512:" + HEX + HEX, 0));
        assertNotEquals(key, CacheKey.ofDigest("sha512:" + HEX + HEX));
    }

    @Test
    void chunksOfOneBlobSpreadOverShards() {
        String blob = "sha256:" + HEX;
        long distinct = java.util.stream.LongStream.range(0, 64)
                .mapToObj(off -> CacheKey.ofBlobOffset(blob, off * 4096).shardHex().substring(0, 2))
                .distinct().count();
        assertTrue(distinct > 32, "64 chunks of one blob landed in only " + distinct + " of 256 shards");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "sha256:../../etc/passwd",
            "sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
            "sha256:0123",
            "md5:0123456789abcdef0123456789abcdef",
            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde/",
            "",
    })
    void rejectsDigestsThatAreNotStrictHex(String digest) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CacheKey.ofDigest(digest));
        assertTrue(e.getMessage().contains("invalid chunk digest"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CacheKey.ofBlobOffset(digest, 0));
    }

    @Test
    void errorNamesTheOffendingDigestAndOffset() {
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> CacheKey.ofDigest("sha256:xyz"));
        assertTrue(bad.getMessage().contains("'sha256:xyz'"), bad.getMessage());
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
                () -> CacheKey.ofBlobOffset("sha256:" + HEX, -1));
        assertTrue(negative.getMessage().contains("-1") && negative.getMessage().contains(HEX),
                negative.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CacheKey.ofDigest(null));
    }

    @Test
    void foreignFileNamesAreNotKeys() {
        assertNull(CacheKey.fromFileName("sha256-" + HEX + ".1234.5.tmp"));
        assertNull(CacheKey.fromFileName("sha256-abc"));
        assertNull(CacheKey.fromFileName("README"));
        assertNull(CacheKey.fromFileName("sha256-" + HEX + "@99999999999999999999"));
    }
}
