package io.jstargz.snapshotter.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What the dynamic loader will open for an ELF executable or shared object, read from its headers: the interpreter
 * ({@code PT_INTERP}), the libraries it needs ({@code DT_NEEDED}) and where it asks them to be looked for
 * ({@code DT_RPATH}, {@code DT_RUNPATH}). Only the bytes the loader reads too are read: the ELF and program headers,
 * the dynamic section and its string table. A file that is not ELF has none; one whose headers point outside the
 * file, or that asks for absurd sizes, is refused with the reason.
 *
 * @param interpreter the {@code PT_INTERP} path, or {@code ""}
 * @param needed      the {@code DT_NEEDED} names, in order
 * @param searchPath  the directories of {@code DT_RUNPATH}, or of {@code DT_RPATH} when there is no runpath, with
 *                    {@code $ORIGIN} not substituted
 * @param machine     {@code e_machine}, which names the multiarch library directories
 */
record ElfDependencies(String interpreter, List<String> needed, List<String> searchPath, int machine) {
    /** The bytes of a file at an offset (fewer at its end). */
    @FunctionalInterface
    interface FileBytes {
        byte[] read(long offset, int length) throws IOException;
    }

    static final int EM_X86_64 = 62;
    static final int EM_AARCH64 = 183;
    private static final int PT_LOAD = 1;
    private static final int PT_DYNAMIC = 2;
    private static final int PT_INTERP = 3;
    private static final int DT_NULL = 0;
    private static final int DT_NEEDED = 1;
    private static final int DT_STRTAB = 5;
    private static final int DT_STRSZ = 10;
    private static final int DT_RPATH = 15;
    private static final int DT_RUNPATH = 29;
    /** Bounds on what a hostile header can make this read; real files stay far below them. */
    private static final int MAX_PROGRAM_HEADERS = 512;
    private static final int MAX_SECTION_BYTES = 1 << 20;
    private static final int MAX_NAME_BYTES = 4096;

    ElfDependencies {
        needed = List.copyOf(needed);
        searchPath = List.copyOf(searchPath);
    }

    /**
     * The dependencies of the file {@code bytes} reads, empty when it is not ELF or is statically linked.
     *
     * @throws IOException when it cannot be read, or its headers are malformed (the message says how)
     */
    static Optional<ElfDependencies> read(FileBytes bytes) throws IOException {
        byte[] ident = bytes.read(0, 64);
        if (ident.length < 52 || ident[0] != 0x7f || ident[1] != 'E' || ident[2] != 'L' || ident[3] != 'F') {
            return Optional.empty();
        }
        boolean wide = switch (ident[4]) {
            case 1 -> false;
            case 2 -> true;
            default -> throw new IOException("ELF class " + ident[4] + " is neither 32- nor 64-bit");
        };
        ByteOrder order = switch (ident[5]) {
            case 1 -> ByteOrder.LITTLE_ENDIAN;
            case 2 -> ByteOrder.BIG_ENDIAN;
            default -> throw new IOException("ELF data encoding " + ident[5] + " is neither little- nor big-endian");
        };
        ByteBuffer h = ByteBuffer.wrap(ident).order(order);
        int machine = Short.toUnsignedInt(h.getShort(18));
        long phoff = wide ? h.getLong(32) : Integer.toUnsignedLong(h.getInt(28));
        int phentsize = Short.toUnsignedInt(h.getShort(wide ? 54 : 42));
        int phnum = Short.toUnsignedInt(h.getShort(wide ? 56 : 44));
        if (phnum == 0) {
            return Optional.empty();
        }
        if (phnum > MAX_PROGRAM_HEADERS || phentsize < (wide ? 56 : 32) || phoff < 0) {
            throw new IOException("ELF program headers: " + phnum + " of " + phentsize + " bytes at " + phoff);
        }
        ByteBuffer ph = ByteBuffer.wrap(exactly(bytes, phoff, phnum * phentsize, "program headers")).order(order);
        List<long[]> loads = new ArrayList<>();
        String interpreter = "";
        long dynOffset = -1;
        long dynSize = 0;
        for (int i = 0; i < phnum; i++) {
            int at = i * phentsize;
            int type = ph.getInt(at);
            long offset = wide ? ph.getLong(at + 8) : Integer.toUnsignedLong(ph.getInt(at + 4));
            long vaddr = wide ? ph.getLong(at + 16) : Integer.toUnsignedLong(ph.getInt(at + 8));
            long filesz = wide ? ph.getLong(at + 32) : Integer.toUnsignedLong(ph.getInt(at + 16));
            switch (type) {
                case PT_LOAD -> loads.add(new long[] {vaddr, offset, filesz});
                case PT_INTERP -> interpreter = string(exactly(bytes, offset, bounded(filesz, MAX_NAME_BYTES,
                        "PT_INTERP"), "PT_INTERP"), 0);
                case PT_DYNAMIC -> {
                    dynOffset = offset;
                    dynSize = bounded(filesz, MAX_SECTION_BYTES, "PT_DYNAMIC");
                }
                default -> {
                }
            }
        }
        if (dynOffset < 0) {
            return interpreter.isEmpty() ? Optional.empty()
                    : Optional.of(new ElfDependencies(interpreter, List.of(), List.of(), machine));
        }
        ByteBuffer dyn = ByteBuffer.wrap(exactly(bytes, dynOffset, (int) dynSize, "PT_DYNAMIC")).order(order);
        int entry = wide ? 16 : 8;
        List<Long> needed = new ArrayList<>();
        long strtab = -1;
        long strsz = 0;
        long rpath = -1;
        long runpath = -1;
        for (int at = 0; at + entry <= dyn.limit(); at += entry) {
            long tag = wide ? dyn.getLong(at) : dyn.getInt(at);
            long value = wide ? dyn.getLong(at + 8) : Integer.toUnsignedLong(dyn.getInt(at + 4));
            if (tag == DT_NULL) {
                break;
            }
            if (tag == DT_NEEDED) {
                needed.add(value);
            } else if (tag == DT_STRTAB) {
                strtab = value;
            } else if (tag == DT_STRSZ) {
                strsz = value;
            } else if (tag == DT_RPATH) {
                rpath = value;
            } else if (tag == DT_RUNPATH) {
                runpath = value;
            }
        }
        if (strtab < 0) {
            throw new IOException("ELF dynamic section has no string table (DT_STRTAB)");
        }
        byte[] strings = exactly(bytes, fileOffset(loads, strtab), bounded(strsz, MAX_SECTION_BYTES, "DT_STRSZ"),
                "DT_STRTAB");
        List<String> names = new ArrayList<>(needed.size());
        for (long n : needed) {
            names.add(string(strings, n));
        }
        long path = runpath >= 0 ? runpath : rpath;
        List<String> searchPath = path < 0 ? List.of()
                : List.of(string(strings, path).split(":")).stream().filter(d -> !d.isEmpty()).toList();
        return Optional.of(new ElfDependencies(interpreter, names, searchPath, machine));
    }

    /** Where the bytes mapped at {@code vaddr} lie in the file, from the {@code PT_LOAD} segment that maps them. */
    private static long fileOffset(List<long[]> loads, long vaddr) throws IOException {
        for (long[] l : loads) {
            if (Long.compareUnsigned(vaddr, l[0]) >= 0 && Long.compareUnsigned(vaddr - l[0], l[2]) < 0) {
                return l[1] + (vaddr - l[0]);
            }
        }
        throw new IOException("ELF string table at address 0x" + Long.toHexString(vaddr) + " is in no loaded segment");
    }

    private static int bounded(long size, int max, String what) throws IOException {
        if (size < 0 || size > max) {
            throw new IOException("ELF " + what + " is " + size + " bytes, more than " + max);
        }
        return (int) size;
    }

    private static byte[] exactly(FileBytes bytes, long offset, int length, String what) throws IOException {
        byte[] b = offset < 0 ? new byte[0] : bytes.read(offset, length);
        if (b.length != length) {
            throw new IOException("ELF " + what + " (" + length + " bytes at " + offset + ") lie past the file's end");
        }
        return b;
    }

    /** The NUL-terminated string at {@code at} of {@code table}. */
    private static String string(byte[] table, long at) throws IOException {
        if (at < 0 || at >= table.length) {
            throw new IOException("ELF string at " + at + " is outside its table of " + table.length + " bytes");
        }
        int end = (int) at;
        while (end < table.length && table[end] != 0 && end - at < MAX_NAME_BYTES) {
            end++;
        }
        return new String(table, (int) at, end - (int) at, StandardCharsets.UTF_8);
    }
}
