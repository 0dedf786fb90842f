package io.jstargz.estargz;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * Encodes tar headers byte for byte as Go's {@code archive/tar.Writer.WriteHeader} does: it picks USTAR, PAX or GNU
 * the same way, writes the same PAX records in the same order under the same {@code PaxHeaders.0} names, and fills
 * numeric fields the same way. This is what makes the converter's uncompressed tar stream identical to the
 * reference converter's.
 */
final class GoTarWriter {
    private static final int NAME_SIZE = 100;
    private static final int PREFIX_SIZE = 155;

    private final ByteBuf out = new ByteBuf(1024);

    private GoTarWriter() {
    }

    /**
     * What the reference writes for a header it read from the input: it writes it once into an intermediate tar,
     * reads that back and writes it again, and the TOC is built from the re-read header.
     */
    record Encoded(byte[] bytes, TarHeader header) {
    }

    static Encoded encodeAsReference(TarHeader h) throws IOException {
        TarHeader reread = TarReader.parseHeader(encode(h));
        return new Encoded(encode(reread), reread);
    }

    /** The header blocks Go's {@code WriteHeader} writes for {@code h} (the data and its padding not included). */
    static byte[] encode(TarHeader header) throws IOException {
        TarHeader h = header.copy();
        if (h.typeflag == TarHeader.TYPE_REG_A) {
            h.typeflag = endsWithSlash(h.name) ? TarHeader.TYPE_DIR : TarHeader.TYPE_REG;
        }
        if (h.format == TarHeader.FORMAT_UNKNOWN) {
            if (h.mtimeNano >= 500_000_000) {
                h.mtimeSec++;
            }
            h.mtimeNano = 0;
            h.atimeSec = h.ctimeSec = TarHeader.ZERO_TIME_SECONDS;
            h.atimeNano = h.ctimeNano = 0;
        }
        TarFormatChoice choice = TarFormatChoice.of(h);
        GoTarWriter w = new GoTarWriter();
        if ((choice.formats & TarHeader.FORMAT_USTAR) != 0) {
            w.writeUstar(h);
        } else if ((choice.formats & TarHeader.FORMAT_PAX) != 0) {
            w.writePax(h, choice.paxHeaders);
        } else if ((choice.formats & TarHeader.FORMAT_GNU) != 0) {
            w.writeGnu(h);
        } else {
            throw new InvalidLayerTarException("tar header for " + h.displayName()
                    + " cannot be encoded in USTAR, PAX or GNU format");
        }
        return w.out.toByteArray();
    }

    private void writeUstar(TarHeader h) {
        byte[] name = h.name;
        byte[] prefix = new byte[0];
        int split = splitUstarPath(name);
        if (split > 0) {
            prefix = Arrays.copyOfRange(name, 0, split);
            name = Arrays.copyOfRange(name, split + 1, name.length);
        }
        byte[] blk = template(h, name, false, false);
        TarFields.string(blk, 345, PREFIX_SIZE, prefix);
        setFormat(blk, TarHeader.FORMAT_USTAR);
        out.append(blk);
    }

    private void writePax(TarHeader h, TreeMap<String, byte[]> paxHeaders) throws IOException {
        if (!paxHeaders.isEmpty()) {
            ByteBuf data = new ByteBuf(256);
            for (Map.Entry<String, byte[]> e : paxHeaders.entrySet()) {
                data.append(PaxRecords.record(e.getKey(), e.getValue()));
            }
            String[] dirFile = GoPaths.split(h.rawName());
            String name = GoPaths.join(dirFile[0], "PaxHeaders.0", dirFile[1]);
            writeRawFile(name.getBytes(StandardCharsets.ISO_8859_1), data.toByteArray(), TarHeader.TYPE_X_HEADER,
                    TarHeader.FORMAT_PAX);
        }
        byte[] blk = template(h, h.name, true, false);
        setFormat(blk, TarHeader.FORMAT_PAX);
        out.append(blk);
    }

    private void writeGnu(TarHeader h) {
        byte[] longName = "././@LongLink".getBytes(StandardCharsets.US_ASCII);
        if (h.name.length > NAME_SIZE) {
            writeRawFile(longName, withNul(h.name), TarHeader.TYPE_GNU_LONG_NAME, TarHeader.FORMAT_GNU);
        }
        if (h.linkname.length > NAME_SIZE) {
            writeRawFile(longName, withNul(h.linkname), TarHeader.TYPE_GNU_LONG_LINK, TarHeader.FORMAT_GNU);
        }
        byte[] blk = template(h, h.name, false, true);
        if (!TarHeader.isZeroTime(h.atimeSec, h.atimeNano)) {
            TarFields.numeric(blk, 345, 12, h.atimeSec);
        }
        if (!TarHeader.isZeroTime(h.ctimeSec, h.ctimeNano)) {
            TarFields.numeric(blk, 357, 12, h.ctimeSec);
        }
        setFormat(blk, TarHeader.FORMAT_GNU);
        out.append(blk);
    }

    private static byte[] withNul(byte[] s) {
        return Arrays.copyOf(s, s.length + 1);
    }

    /** Go's {@code templateV7Plus}; PAX passes strings through {@code toASCII}, GNU uses base-256 numbers. */
    private static byte[] template(TarHeader h, byte[] name, boolean ascii, boolean base256) {
        byte[] blk = new byte[TarReader.BLOCK];
        long mtime = TarHeader.isZeroTime(h.mtimeSec, h.mtimeNano) ? 0 : h.mtimeSec;
        blk[156] = h.typeflag;
        TarFields.string(blk, 0, 100, ascii ? TarFields.toAscii(name) : name);
        TarFields.string(blk, 157, 100, ascii ? TarFields.toAscii(h.linkname) : h.linkname);
        TarFields.number(blk, 100, 8, h.mode, base256);
        TarFields.number(blk, 108, 8, h.uid, base256);
        TarFields.number(blk, 116, 8, h.gid, base256);
        TarFields.number(blk, 124, 12, h.size, base256);
        TarFields.number(blk, 136, 12, mtime, base256);
        TarFields.string(blk, 265, 32, ascii ? TarFields.toAscii(h.uname) : h.uname);
        TarFields.string(blk, 297, 32, ascii ? TarFields.toAscii(h.gname) : h.gname);
        TarFields.number(blk, 329, 8, h.devmajor, base256);
        TarFields.number(blk, 337, 8, h.devminor, base256);
        return blk;
    }

    private void writeRawFile(byte[] rawName, byte[] data, byte flag, int format) {
        byte[] name = TarFields.toAscii(rawName);
        int len = Math.min(name.length, NAME_SIZE);
        while (len > 0 && name[len - 1] == '/') {
            len--;
        }
        byte[] blk = new byte[TarReader.BLOCK];
        blk[156] = flag;
        TarFields.string(blk, 0, 100, Arrays.copyOf(name, len));
        TarFields.octal(blk, 100, 8, 0);
        TarFields.octal(blk, 108, 8, 0);
        TarFields.octal(blk, 116, 8, 0);
        TarFields.octal(blk, 124, 12, data.length);
        TarFields.octal(blk, 136, 12, 0);
        setFormat(blk, format);
        out.append(blk);
        out.append(data);
        out.append(new byte[-data.length & (TarReader.BLOCK - 1)]);
    }

    private static void setFormat(byte[] blk, int format) {
        if (format == TarHeader.FORMAT_GNU) {
            put(blk, 257, "ustar ");
            put(blk, 263, " \0");
        } else {
            put(blk, 257, "ustar\0");
            put(blk, 263, "00");
        }
        long sum = 0;
        for (int i = 0; i < blk.length; i++) {
            sum += i >= 148 && i < 156 ? ' ' : blk[i] & 0xff;
        }
        TarFields.octal(blk, 148, 7, sum);
        blk[155] = ' ';
    }

    private static void put(byte[] blk, int at, String s) {
        for (int i = 0; i < s.length(); i++) {
            blk[at + i] = (byte) s.charAt(i);
        }
    }

    /** Go's {@code splitUSTARPath}: index of the '/' to split at, or -1. */
    static int splitUstarPath(byte[] name) {
        int length = name.length;
        if (length <= NAME_SIZE || !TarFields.isAscii(name)) {
            return -1;
        } else if (length > PREFIX_SIZE + 1) {
            length = PREFIX_SIZE + 1;
        } else if (name[length - 1] == '/') {
            length--;
        }
        int i = -1;
        for (int k = length - 1; k >= 0; k--) {
            if (name[k] == '/') {
                i = k;
                break;
            }
        }
        int nlen = name.length - i - 1;
        if (i <= 0 || nlen > NAME_SIZE || nlen == 0 || i > PREFIX_SIZE) {
            return -1;
        }
        return i;
    }

    private static boolean endsWithSlash(byte[] s) {
        return s.length > 0 && s[s.length - 1] == '/';
    }
}
