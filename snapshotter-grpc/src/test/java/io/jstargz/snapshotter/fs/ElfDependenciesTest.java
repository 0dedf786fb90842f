package io.jstargz.snapshotter.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The dependencies the dynamic loader will open, read from ELF headers: real ones, made ones and hostile ones. */
class ElfDependenciesTest {
    private static final long BASE = 0x400000;

    /**
     * A 64-bit little-endian ELF for x86-64 with an interpreter (none when null), the {@code needed} libraries and a
     * runpath (none when null), its string table mapped at {@code strtabShift} past where it lies.
     */
    static byte[] elf(String interpreter, List<String> needed, String runpath, long strtabShift) {
        ByteBuffer b = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1});
        b.putShort(16, (short) 3).putShort(18, (short) ElfDependencies.EM_X86_64).putLong(32, 64)
                .putShort(54, (short) 56).putShort(56, (short) 3);
        int interpAt = 1024;
        int strtabAt = 2048;
        int dynamicAt = 3072;
        byte[] strings = new byte[1024];
        int[] offsets = new int[needed.size() + 1];
        int n = 1;
        for (int i = 0; i <= needed.size(); i++) {
            String s = i < needed.size() ? needed.get(i) : runpath == null ? "" : runpath;
            byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
            offsets[i] = n;
            System.arraycopy(bytes, 0, strings, n, bytes.length);
            n += bytes.length + 1;
        }
        b.put(strtabAt, strings, 0, n);
        int ph = 64;
        if (interpreter != null) {
            byte[] path = (interpreter + "\0").getBytes(StandardCharsets.UTF_8);
            b.put(interpAt, path);
            ph = header(b, ph, 3, interpAt, BASE + interpAt, path.length);
        } else {
            ph = header(b, ph, 6, 64, BASE + 64, 168); // PT_PHDR: not one the loader's dependencies are in
        }
        ph = header(b, ph, 1, 0, BASE, 4096);
        header(b, ph, 2, dynamicAt, BASE + dynamicAt, 16 * (needed.size() + 4));
        int d = dynamicAt;
        for (int i = 0; i < needed.size(); i++) {
            d = dyn(b, d, 1, offsets[i]);
        }
        d = dyn(b, d, 5, BASE + strtabAt + strtabShift);
        d = dyn(b, d, 10, n);
        if (runpath != null) {
            d = dyn(b, d, 29, offsets[needed.size()]);
        }
        dyn(b, d, 0, 0);
        return b.array();
    }

    private static int header(ByteBuffer b, int at, int type, long offset, long vaddr, long size) {
        b.putInt(at, type).putLong(at + 8, offset).putLong(at + 16, vaddr).putLong(at + 32, size)
                .putLong(at + 40, size);
        return at + 56;
    }

    private static int dyn(ByteBuffer b, int at, long tag, long value) {
        b.putLong(at, tag).putLong(at + 8, value);
        return at + 16;
    }

    private static Optional<ElfDependencies> parse(byte[] file) throws IOException {
        return ElfDependencies.read((offset, length) -> Arrays.copyOfRange(file, (int) Math.min(offset, file.length),
                (int) Math.min(offset + length, file.length)));
    }

    @Test
    void aProgramNamesItsInterpreterLibrariesAndRunpath() throws IOException {
        ElfDependencies d = parse(elf("/lib64/ld-linux-x86-64.so.2", List.of("libfoo.so", "libc.so.6"),
                "$ORIGIN/../lib/app:/opt/x", 0)).orElseThrow();
        assertEquals(new ElfDependencies("/lib64/ld-linux-x86-64.so.2", List.of("libfoo.so", "libc.so.6"),
                List.of("$ORIGIN/../lib/app", "/opt/x"), ElfDependencies.EM_X86_64), d);
    }

    @Test
    void aSharedObjectHasNoInterpreter() throws IOException {
        ElfDependencies d = parse(elf(null, List.of("libc.so.6"), null, 0)).orElseThrow();
        assertEquals("", d.interpreter());
        assertEquals(List.of("libc.so.6"), d.needed());
        assertEquals(List.of(), d.searchPath());
    }

    @Test
    void aRealProgramOfThisMachine() throws IOException {
        byte[] ls = Files.readAllBytes(Path.of("/usr/bin/ls"));
        ElfDependencies d = parse(ls).orElseThrow();
        assertTrue(d.interpreter().startsWith("/lib") && d.interpreter().contains("ld-linux"), d.interpreter());
        assertTrue(d.needed().contains("libc.so.6"), "needed: " + d.needed());
    }

    @Test
    void aScriptOrAnEmptyFileHasNone() throws IOException {
        assertEquals(Optional.empty(), parse("#!/bin/sh\necho hello\n".repeat(4).getBytes(StandardCharsets.UTF_8)));
        assertEquals(Optional.empty(), parse(new byte[0]));
    }

    @Test
    void hostileHeadersAreRefusedWithTheReason() {
        byte[] strtabElsewhere = elf("/lib/ld.so", List.of("libc.so.6"), null, 1 << 20);
        assertEquals("ELF string table at address 0x500800 is in no loaded segment",
                assertThrows(IOException.class, () -> parse(strtabElsewhere)).getMessage());

        byte[] manyHeaders = elf("/lib/ld.so", List.of("libc.so.6"), null, 0);
        ByteBuffer.wrap(manyHeaders).order(ByteOrder.LITTLE_ENDIAN).putShort(56, (short) 60000);
        assertEquals("ELF program headers: 60000 of 56 bytes at 64",
                assertThrows(IOException.class, () -> parse(manyHeaders)).getMessage());

        byte[] truncated = Arrays.copyOf(elf("/lib/ld.so", List.of("libc.so.6"), null, 0), 3000);
        assertEquals("ELF PT_DYNAMIC (80 bytes at 3072) lie past the file's end",
                assertThrows(IOException.class, () -> parse(truncated)).getMessage());

        byte[] nameOutside = elf("/lib/ld.so", List.of("libc.so.6"), null, 0);
        ByteBuffer.wrap(nameOutside).order(ByteOrder.LITTLE_ENDIAN).putLong(3072 + 8, 999_999);
        assertEquals("ELF string at 999999 is outside its table of 12 bytes",
                assertThrows(IOException.class, () -> parse(nameOutside)).getMessage());
    }
}
