package io.jstargz.estargz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Layer tars the converter must refuse, each with a message naming the entry or offset. */
class HostileTarTest {

    private static String refused(byte[] tar) {
        return assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            IOException e = assertThrows(IOException.class, () -> new LayerConverter(ConvertOptions.defaults())
                    .convert(new ByteArrayInputStream(tar), OutputStream.nullOutputStream()));
            return e.getMessage();
        });
    }

    private static byte[] data(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void truncatedTarsAndBrokenHeaders() {
        byte[] ok = new TarBytes().entry(TarBytes.h("a"), new byte[3000]).end();
        assertTrue(refused(Arrays.copyOf(ok, 700)).contains("ends inside"));
        assertTrue(refused(Arrays.copyOf(ok, 300)).contains("ends inside a header block at offset 0"));
        byte[] badSum = ok.clone();
        badSum[10] ^= 1;
        assertTrue(refused(badSum).contains("invalid tar header (bad checksum or magic) at offset 0"));
        byte[] zeroThenData = new TarBytes().raw(new byte[512]).entry(TarBytes.h("a"), data("x")).end();
        assertTrue(refused(zeroThenData).contains("zero block is followed by a non-zero block"));
    }

    @Test
    void oversizedOrMalformedPaxHeaders() {
        byte[] huge = new byte[(1 << 20) + 1];
        Arrays.fill(huge, (byte) 'a');
        byte[] bigPax = new TarBytes().entry(TarBytes.h("././@PaxHeader").type('x'), huge)
                .entry(TarBytes.h("a"), data("x")).end();
        assertTrue(refused(bigPax).contains("exceeds 1 MiB"));
        byte[] malformed = new TarBytes().entry(TarBytes.h("././@PaxHeader").type('x'), data("99 path=x\n"))
                .entry(TarBytes.h("a"), data("x")).end();
        assertTrue(refused(malformed).contains("malformed PAX record"));
    }

    @Test
    void unsafeNamesAndBrokenTrees() {
        assertTrue(refused(new TarBytes().entry(TarBytes.h("../escape"), data("x")).end())
                .contains("contains a \"..\" component"));
        assertTrue(refused(new TarBytes().entry(TarBytes.h("/etc/passwd"), data("x")).end())
                .contains("absolute path"));
        assertTrue(refused(new TarBytes().pax(Map.of("path", data("a/../../b"))).entry(TarBytes.h("x"), data("x"))
                .end()).contains("contains a \"..\" component"));
        assertTrue(refused(new TarBytes().entry(TarBytes.h("link").type('1').link("missing")).end())
                .contains("\"missing\", which has no entry"));
        assertTrue(refused(new TarBytes().entry(TarBytes.h("file"), data("x")).entry(TarBytes.h("file/child"),
                data("y")).end()).contains("which is not a directory"));
        assertTrue(refused(new TarBytes().entry(TarBytes.h("notadir/"), data("x")).end())
                .contains("is not a directory but its name ends with '/'"));
    }

    @Test
    void entryTypesEstargzCannotCarry() {
        assertTrue(refused(new TarBytes().entry(TarBytes.h("sparse").type('S').magic(TarBytes.Magic.GNU),
                data("x")).end()).contains("GNU sparse files are not supported"));
        assertTrue(refused(new TarBytes().pax(Map.of("GNU.sparse.map", data("0,1"))).entry(TarBytes.h("s"),
                data("x")).end()).contains("GNU sparse files are not supported"));
        assertTrue(refused(new TarBytes().entry(TarBytes.h("pax_global_header").type('g'), data("9 a=bcd\n"))
                .end()).contains("global PAX headers"));
        assertTrue(refused(new TarBytes().entry(TarBytes.h("contiguous").type('7'), data("x")).end())
                .contains("unsupported tar entry type '7' for contiguous"));
    }

    @Test
    void garbageAndBrokenGzipInput() {
        byte[] garbage = new byte[10_000];
        new Random(3).nextBytes(garbage);
        assertTrue(refused(garbage).contains("invalid tar header"));
        byte[] gzipHeaderOnly = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff, 1, 2, 3};
        refused(gzipHeaderOnly);
    }

    @Test
    void listPathsReadsHeadersOnly() throws IOException {
        byte[] tar = new TarBytes().entry(TarBytes.h("./a/"), new byte[0]).entry(TarBytes.h("a/f"), data("1"))
                .entry(TarBytes.h(Landmarks.PREFETCH), new byte[] {0x0f}).entry(TarBytes.h("b"), data("2"))
                .entry(TarBytes.h("./a/f"), data("3")).end();
        assertEquals(List.of("a", "b", "a/f"), LayerConverter.listPaths(new ByteArrayInputStream(tar)));
    }
}
