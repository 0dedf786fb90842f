package io.jstargz.estargz;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Map;
import java.util.SortedMap;

/**
 * Reads tar headers exactly as Go's {@code archive/tar.Reader} does (formats, PAX and GNU long names, the
 * ambiguities Go resolves in its own way), so that the converter sees what the reference converter sees. GNU sparse
 * files and global PAX headers are refused, as the reference refuses them when it converts.
 */
final class TarReader {
    static final int BLOCK = 512;
    /** Go's {@code maxSpecialFileSize}: PAX and GNU long-name data is capped at 1 MiB. */
    private static final int MAX_SPECIAL_FILE = 1 << 20;

    private final InputStream in;
    private final byte[] blk = new byte[BLOCK];
    private long position;
    private long remaining;
    private long padding;
    private long dataOffset;

    TarReader(InputStream in) {
        this.in = in;
    }

    /** Parses the headers in {@code bytes} (which may stop where the entry's data would start). */
    static TarHeader parseHeader(byte[] bytes) throws IOException {
        TarHeader h = new TarReader(new java.io.ByteArrayInputStream(bytes)).next();
        if (h == null) {
            throw new IOException("no tar header");
        }
        return h;
    }

    /** Offset in the tar stream of the current entry's data. */
    long dataOffset() {
        return dataOffset;
    }

    /** Reads the current entry's data; -1 at its end. */
    int read(byte[] b, int off, int len) throws IOException {
        if (remaining <= 0) {
            return -1;
        }
        int n = in.read(b, off, (int) Math.min(len, remaining));
        if (n < 0) {
            throw new InvalidLayerTarException("tar stream ends inside the data of an entry, " + remaining
                    + " bytes short, at offset " + position);
        }
        position += n;
        remaining -= n;
        return n;
    }

    private void skip(long n) throws IOException {
        byte[] scratch = null;
        while (n > 0) {
            long s = in.skip(n);
            if (s <= 0) {
                if (scratch == null) {
                    scratch = new byte[8192];
                }
                int r = in.read(scratch, 0, (int) Math.min(n, scratch.length));
                if (r < 0) {
                    throw new InvalidLayerTarException("tar stream ends inside an entry at offset " + position);
                }
                s = r;
            }
            position += s;
            n -= s;
        }
    }

    /** Reads up to a full block; returns the number of bytes read (0 only at a clean end of stream). */
    private int readBlock() throws IOException {
        int done = 0;
        while (done < BLOCK) {
            int n = in.read(blk, done, BLOCK - done);
            if (n < 0) {
                break;
            }
            done += n;
        }
        position += done;
        if (done != 0 && done != BLOCK) {
            throw new InvalidLayerTarException("tar stream ends inside a header block at offset " + (position - done));
        }
        return done;
    }

    /** The next file's header with PAX/GNU meta-headers merged, or null at the end of the archive. */
    TarHeader next() throws IOException {
        SortedMap<String, byte[]> pax = null;
        byte[] longName = null;
        byte[] longLink = null;
        int format = TarHeader.FORMAT_USTAR | TarHeader.FORMAT_PAX | TarHeader.FORMAT_GNU;
        while (true) {
            skip(remaining + padding);
            remaining = 0;
            padding = 0;
            long headerOffset = position;
            if (readBlock() == 0) {
                return null;
            }
            if (isZero(blk)) {
                if (readBlock() == 0 || isZero(blk)) {
                    return null;
                }
                throw bad("a zero block is followed by a non-zero block", headerOffset);
            }
            int blockFormat = formatOf(blk);
            if (blockFormat == TarHeader.FORMAT_UNKNOWN) {
                throw bad("invalid tar header (bad checksum or magic)", headerOffset);
            }
            TarHeader h = parseBlock(blockFormat, headerOffset);
            if (h.dataSize() < 0) {
                throw bad("negative size " + h.size, headerOffset);
            }
            remaining = h.dataSize();
            padding = -remaining & (BLOCK - 1);
            dataOffset = position;
            format &= h.format;
            switch (h.typeflag) {
                case TarHeader.TYPE_X_HEADER -> {
                    format &= TarHeader.FORMAT_PAX;
                    pax = parsePax(readSpecial(headerOffset), headerOffset);
                }
                case TarHeader.TYPE_X_GLOBAL -> throw bad("global PAX headers (type 'g') are not supported",
                        headerOffset);
                case TarHeader.TYPE_GNU_LONG_NAME, TarHeader.TYPE_GNU_LONG_LINK -> {
                    format &= TarHeader.FORMAT_GNU;
                    byte[] s = TarFields.cString(readSpecial(headerOffset), 0, Integer.MAX_VALUE);
                    if (h.typeflag == TarHeader.TYPE_GNU_LONG_NAME) {
                        longName = s;
                    } else {
                        longLink = s;
                    }
                }
                default -> {
                    if (pax != null) {
                        mergePax(h, pax, headerOffset);
                    }
                    if (longName != null && longName.length > 0) {
                        h.name = longName;
                    }
                    if (longLink != null && longLink.length > 0) {
                        h.linkname = longLink;
                    }
                    if (h.typeflag == TarHeader.TYPE_REG_A) {
                        h.typeflag = h.name.length > 0 && h.name[h.name.length - 1] == '/' ? TarHeader.TYPE_DIR
                                : TarHeader.TYPE_REG;
                    }
                    if (h.typeflag == TarHeader.TYPE_GNU_SPARSE || isPaxSparse(h.paxRecords)) {
                        throw bad("GNU sparse files are not supported (" + h.displayName() + ")", headerOffset);
                    }
                    if (h.dataSize() < 0) {
                        throw bad("negative size " + h.size + " for " + h.displayName(), headerOffset);
                    }
                    remaining = h.dataSize();
                    padding = -remaining & (BLOCK - 1);
                    if ((format & TarHeader.FORMAT_USTAR) != 0 && (format & TarHeader.FORMAT_PAX) != 0) {
                        format &= TarHeader.FORMAT_USTAR;
                    }
                    h.format = format;
                    return h;
                }
            }
        }
    }

    private static boolean isPaxSparse(Map<String, byte[]> pax) {
        for (String k : pax.keySet()) {
            if (k.startsWith("GNU.sparse.")) {
                return true;
            }
        }
        return false;
    }

    private byte[] readSpecial(long headerOffset) throws IOException {
        if (remaining > MAX_SPECIAL_FILE) {
            throw bad("PAX or GNU long-name header of " + remaining + " bytes exceeds 1 MiB", headerOffset);
        }
        byte[] data = new byte[(int) remaining];
        int done = 0;
        while (done < data.length) {
            int n = read(data, done, data.length - done);
            if (n < 0) {
                break;
            }
            done += n;
        }
        return data;
    }

    private TarHeader parseBlock(int blockFormat, long at) throws IOException {
        TarFields.NumberParser p = new TarFields.NumberParser();
        TarHeader h = new TarHeader();
        h.typeflag = blk[156];
        h.name = TarFields.cString(blk, 0, 100);
        h.linkname = TarFields.cString(blk, 157, 100);
        h.size = p.numeric(blk, 124, 12);
        h.mode = p.numeric(blk, 100, 8);
        h.uid = p.numeric(blk, 108, 8);
        h.gid = p.numeric(blk, 116, 8);
        h.mtimeSec = p.numeric(blk, 136, 12);
        h.format = TarHeader.FORMAT_UNKNOWN;
        if (blockFormat > TarHeader.FORMAT_V7) {
            h.uname = TarFields.cString(blk, 265, 32);
            h.gname = TarFields.cString(blk, 297, 32);
            h.devmajor = p.numeric(blk, 329, 8);
            h.devminor = p.numeric(blk, 337, 8);
            byte[] prefix = new byte[0];
            if ((blockFormat & (TarHeader.FORMAT_USTAR | TarHeader.FORMAT_PAX)) != 0) {
                h.format = blockFormat;
                prefix = TarFields.cString(blk, 345, 155);
                boolean nonAscii = false;
                for (byte b : blk) {
                    nonAscii |= b < 0;
                }
                boolean nulTerminated = blk[124 + 11] == 0 && blk[100 + 7] == 0 && blk[108 + 7] == 0
                        && blk[116 + 7] == 0 && blk[136 + 11] == 0 && blk[329 + 7] == 0 && blk[337 + 7] == 0;
                if (nonAscii || !nulTerminated) {
                    h.format = TarHeader.FORMAT_UNKNOWN;
                }
            } else if (blockFormat == TarHeader.FORMAT_STAR) {
                prefix = TarFields.cString(blk, 345, 131);
                h.atimeSec = p.numeric(blk, 476, 12);
                h.ctimeSec = p.numeric(blk, 488, 12);
            } else if (blockFormat == TarHeader.FORMAT_GNU) {
                h.format = blockFormat;
                TarFields.NumberParser p2 = new TarFields.NumberParser();
                if (blk[345] != 0) {
                    h.atimeSec = p2.numeric(blk, 345, 12);
                }
                if (blk[357] != 0) {
                    h.ctimeSec = p2.numeric(blk, 357, 12);
                }
                if (p2.failed) {
                    // pre-Go 1.8 writers put a USTAR prefix where GNU keeps atime/ctime
                    h.atimeSec = TarHeader.ZERO_TIME_SECONDS;
                    h.ctimeSec = TarHeader.ZERO_TIME_SECONDS;
                    byte[] s = TarFields.cString(blk, 345, 155);
                    if (TarFields.isAscii(s)) {
                        prefix = s;
                    }
                    h.format = TarHeader.FORMAT_UNKNOWN;
                }
            }
            if (prefix.length > 0) {
                byte[] full = Arrays.copyOf(prefix, prefix.length + 1 + h.name.length);
                full[prefix.length] = '/';
                System.arraycopy(h.name, 0, full, prefix.length + 1, h.name.length);
                h.name = full;
            }
        }
        if (p.failed) {
            throw bad("invalid number in tar header", at);
        }
        return h;
    }

    /** Go's {@code block.getFormat}: checks the checksum, then guesses the format from the magic. */
    static int formatOf(byte[] b) {
        TarFields.NumberParser p = new TarFields.NumberParser();
        long stored = p.octal(b, 148, 8);
        long unsigned = 0;
        long signed = 0;
        for (int i = 0; i < BLOCK; i++) {
            int c = i >= 148 && i < 156 ? ' ' : b[i];
            unsigned += c & 0xff;
            signed += (byte) c;
        }
        if (p.failed || stored != unsigned && stored != signed) {
            return TarHeader.FORMAT_UNKNOWN;
        }
        boolean ustarMagic = matches(b, 257, "ustar\0");
        if (ustarMagic && matches(b, 508, "tar\0")) {
            return TarHeader.FORMAT_STAR;
        }
        if (ustarMagic) {
            return TarHeader.FORMAT_USTAR | TarHeader.FORMAT_PAX;
        }
        if (matches(b, 257, "ustar ") && matches(b, 263, " \0")) {
            return TarHeader.FORMAT_GNU;
        }
        return TarHeader.FORMAT_V7;
    }

    private static boolean matches(byte[] b, int at, String s) {
        for (int i = 0; i < s.length(); i++) {
            if (b[at + i] != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static boolean isZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    private SortedMap<String, byte[]> parsePax(byte[] data, long at) throws InvalidLayerTarException {
        try {
            return PaxRecords.parse(data);
        } catch (IllegalArgumentException e) {
            throw bad(e.getMessage(), at);
        }
    }

    private void mergePax(TarHeader h, SortedMap<String, byte[]> pax, long at) throws InvalidLayerTarException {
        try {
            PaxRecords.merge(h, pax);
        } catch (NumberFormatException e) {
            throw bad("invalid number in a PAX record", at);
        }
    }

    private InvalidLayerTarException bad(String message, long offset) {
        return new InvalidLayerTarException("invalid tar: " + message + " at offset " + offset);
    }
}
