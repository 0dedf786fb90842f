package io.jstargz.estargz;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
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
    private static final Set<String> BASIC_KEYS =
            Set.of("path", "linkpath", "size", "uid", "gid", "uname", "gname", "mtime", "atime", "ctime");

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
        FormatChoice choice = FormatChoice.of(h);
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
        string(blk, 345, PREFIX_SIZE, prefix);
        setFormat(blk, TarHeader.FORMAT_USTAR);
        out.append(blk);
    }

    private void writePax(TarHeader h, TreeMap<String, byte[]> paxHeaders) throws IOException {
        if (!paxHeaders.isEmpty()) {
            ByteBuf data = new ByteBuf(256);
            for (Map.Entry<String, byte[]> e : paxHeaders.entrySet()) {
                data.append(paxRecord(e.getKey(), e.getValue()));
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
            numeric(blk, 345, 12, h.atimeSec);
        }
        if (!TarHeader.isZeroTime(h.ctimeSec, h.ctimeNano)) {
            numeric(blk, 357, 12, h.ctimeSec);
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
        string(blk, 0, 100, ascii ? toAscii(name) : name);
        string(blk, 157, 100, ascii ? toAscii(h.linkname) : h.linkname);
        number(blk, 100, 8, h.mode, base256);
        number(blk, 108, 8, h.uid, base256);
        number(blk, 116, 8, h.gid, base256);
        number(blk, 124, 12, h.size, base256);
        number(blk, 136, 12, mtime, base256);
        string(blk, 265, 32, ascii ? toAscii(h.uname) : h.uname);
        string(blk, 297, 32, ascii ? toAscii(h.gname) : h.gname);
        number(blk, 329, 8, h.devmajor, base256);
        number(blk, 337, 8, h.devminor, base256);
        return blk;
    }

    private void writeRawFile(byte[] rawName, byte[] data, byte flag, int format) {
        byte[] name = toAscii(rawName);
        int len = Math.min(name.length, NAME_SIZE);
        while (len > 0 && name[len - 1] == '/') {
            len--;
        }
        byte[] blk = new byte[TarReader.BLOCK];
        blk[156] = flag;
        string(blk, 0, 100, Arrays.copyOf(name, len));
        octal(blk, 100, 8, 0);
        octal(blk, 108, 8, 0);
        octal(blk, 116, 8, 0);
        octal(blk, 124, 12, data.length);
        octal(blk, 136, 12, 0);
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
        octal(blk, 148, 7, sum);
        blk[155] = ' ';
    }

    private static void put(byte[] blk, int at, String s) {
        for (int i = 0; i < s.length(); i++) {
            blk[at + i] = (byte) s.charAt(i);
        }
    }

    /** Go's {@code formatter.formatString}. */
    private static void string(byte[] blk, int off, int size, byte[] s) {
        System.arraycopy(s, 0, blk, off, Math.min(size, s.length));
        if (s.length < size) {
            blk[off + s.length] = 0;
        }
        if (s.length > size && blk[off + size - 1] == '/') {
            int n = size;
            while (n > 0 && s[n - 1] == '/') {
                n--;
            }
            blk[off + n] = 0;
        }
    }

    private static void number(byte[] blk, int off, int size, long x, boolean base256) {
        if (base256) {
            numeric(blk, off, size, x);
        } else {
            octal(blk, off, size, x);
        }
    }

    /** Go's {@code formatter.formatOctal}: zero-padded octal and a NUL; 0 if the value does not fit. */
    private static void octal(byte[] blk, int off, int size, long x) {
        if (!fitsInOctal(size, x)) {
            x = 0;
        }
        String s = Long.toOctalString(x);
        StringBuilder sb = new StringBuilder();
        for (int n = size - s.length() - 1; n > 0; n--) {
            sb.append('0');
        }
        string(blk, off, size, sb.append(s).toString().getBytes(StandardCharsets.US_ASCII));
    }

    /** Go's {@code formatter.formatNumeric}: octal if it fits, else base-256, else 0. */
    private static void numeric(byte[] blk, int off, int size, long x) {
        if (fitsInOctal(size, x)) {
            octal(blk, off, size, x);
        } else if (fitsInBase256(size, x)) {
            for (int i = size - 1; i >= 0; i--) {
                blk[off + i] = (byte) x;
                x >>= 8;
            }
            blk[off] |= (byte) 0x80;
        } else {
            octal(blk, off, size, 0);
        }
    }

    static boolean fitsInOctal(int size, long x) {
        int bits = (size - 1) * 3;
        return x >= 0 && (size >= 22 || x < 1L << bits);
    }

    static boolean fitsInBase256(int size, long x) {
        int bits = (size - 1) * 8;
        return size >= 9 || x >= -(1L << bits) && x < 1L << bits;
    }

    /** Go's {@code splitUSTARPath}: index of the '/' to split at, or -1. */
    private static int splitUstarPath(byte[] name) {
        int length = name.length;
        if (length <= NAME_SIZE || !isAscii(name)) {
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

    static boolean isAscii(byte[] s) {
        for (byte b : s) {
            if (b <= 0) {
                return false;
            }
        }
        return true;
    }

    static byte[] toAscii(byte[] s) {
        if (isAscii(s)) {
            return s;
        }
        ByteBuf b = new ByteBuf(s.length);
        for (byte c : s) {
            if (c > 0) {
                b.append(c);
            }
        }
        return b.toByteArray();
    }

    private static boolean endsWithSlash(byte[] s) {
        return s.length > 0 && s[s.length - 1] == '/';
    }

    static boolean validPaxRecord(String key, String value) {
        if (key.isEmpty() || key.indexOf('=') >= 0) {
            return false;
        }
        return switch (key) {
            case "path", "linkpath", "uname", "gname" -> value.indexOf('\0') < 0;
            default -> key.indexOf('\0') < 0;
        };
    }

    /** Go's {@code formatPAXRecord}: {@code "<len> <key>=<value>\n"} where len counts itself. */
    static byte[] paxRecord(String key, byte[] value) {
        int size = key.length() + value.length + 3;
        size += Integer.toString(size).length();
        byte[] record = record(size, key, value);
        if (record.length != size) {
            record = record(record.length, key, value);
        }
        return record;
    }

    private static byte[] record(int size, String key, byte[] value) {
        return new ByteBuf(size + 4).ascii(Integer.toString(size)).append(' ')
                .append(key.getBytes(StandardCharsets.ISO_8859_1)).append('=').append(value).append('\n')
                .toByteArray();
    }

    /** Go's {@code formatPAXTime}. */
    static String paxTime(long sec, int nano) {
        if (nano == 0) {
            return Long.toString(sec);
        }
        String sign = "";
        if (sec < 0) {
            sign = "-";
            sec = -(sec + 1);
            nano = 1_000_000_000 - nano;
        }
        String s = String.format("%s%d.%09d", sign, sec, nano);
        int end = s.length();
        while (s.charAt(end - 1) == '0') {
            end--;
        }
        return s.substring(0, end);
    }

    /** Go's {@code Header.allowedFormats}: which formats can hold the header, and the PAX records PAX would need. */
    private static final class FormatChoice {
        int formats = TarHeader.FORMAT_USTAR | TarHeader.FORMAT_PAX | TarHeader.FORMAT_GNU;
        final TreeMap<String, byte[]> paxHeaders = new TreeMap<>();
        boolean preferPax;
        private final TarHeader h;

        private FormatChoice(TarHeader h) {
            this.h = h;
        }

        static FormatChoice of(TarHeader h) throws InvalidLayerTarException {
            FormatChoice c = new FormatChoice(h);
            c.string(h.name, 100, "path");
            c.string(h.linkname, 100, "linkpath");
            c.string(h.uname, 32, "uname");
            c.string(h.gname, 32, "gname");
            c.number(h.mode, 8, null);
            c.number(h.uid, 8, "uid");
            c.number(h.gid, 8, "gid");
            c.number(h.size, 12, "size");
            c.number(h.devmajor, 8, null);
            c.number(h.devminor, 8, null);
            c.time(h.mtimeSec, h.mtimeNano, "mtime");
            c.time(h.atimeSec, h.atimeNano, "atime");
            c.time(h.ctimeSec, h.ctimeNano, "ctime");
            switch (h.typeflag) {
                case TarHeader.TYPE_REG, TarHeader.TYPE_CHAR, TarHeader.TYPE_BLOCK, TarHeader.TYPE_FIFO,
                        TarHeader.TYPE_GNU_SPARSE -> {
                    if (endsWithSlash(h.name)) {
                        throw new InvalidLayerTarException("tar entry " + h.displayName()
                                + " is not a directory but its name ends with '/'");
                    }
                }
                default -> {
                }
            }
            if (!h.headerOnly() && h.size < 0) {
                throw new InvalidLayerTarException("tar entry " + h.displayName() + " has a negative size");
            }
            if (!h.paxRecords.isEmpty()) {
                for (Map.Entry<String, byte[]> e : h.paxRecords.entrySet()) {
                    String k = e.getKey();
                    if (!c.paxHeaders.containsKey(k) && !BASIC_KEYS.contains(k) && !k.startsWith("GNU.sparse")) {
                        c.paxHeaders.put(k, e.getValue());
                    }
                }
                c.formats &= TarHeader.FORMAT_PAX;
            }
            for (Map.Entry<String, byte[]> e : c.paxHeaders.entrySet()) {
                if (!validPaxRecord(e.getKey(), new String(e.getValue(), StandardCharsets.ISO_8859_1))) {
                    throw new InvalidLayerTarException("tar entry " + h.displayName() + " has an invalid PAX record "
                            + e.getKey());
                }
            }
            if (h.format != TarHeader.FORMAT_UNKNOWN) {
                int want = h.format;
                if ((want & TarHeader.FORMAT_PAX) != 0 && !c.preferPax) {
                    want |= TarHeader.FORMAT_USTAR;
                }
                c.formats &= want;
            }
            return c;
        }

        private boolean recorded(String key, byte[] value) {
            byte[] v = key == null ? null : h.paxRecords.get(key);
            return v != null && Arrays.equals(v, value);
        }

        private void string(byte[] s, int size, String key) {
            boolean tooLong = s.length > size;
            boolean allowLongGnu = key.equals("path") || key.equals("linkpath");
            boolean hasNul = false;
            for (byte b : s) {
                hasNul |= b == 0;
            }
            if (hasNul || tooLong && !allowLongGnu) {
                formats &= ~TarHeader.FORMAT_GNU;
            }
            if (!isAscii(s) || tooLong) {
                if (!key.equals("path") || splitUstarPath(s) < 0) {
                    formats &= ~TarHeader.FORMAT_USTAR;
                }
                paxHeaders.put(key, s);
            }
            if (recorded(key, s)) {
                paxHeaders.put(key, s);
            }
        }

        private void number(long n, int size, String key) {
            byte[] decimal = Long.toString(n).getBytes(StandardCharsets.US_ASCII);
            if (!fitsInBase256(size, n)) {
                formats &= ~TarHeader.FORMAT_GNU;
            }
            if (!fitsInOctal(size, n)) {
                formats &= ~TarHeader.FORMAT_USTAR;
                if (key == null) {
                    formats &= ~TarHeader.FORMAT_PAX;
                } else {
                    paxHeaders.put(key, decimal);
                }
            }
            if (recorded(key, decimal)) {
                paxHeaders.put(key, decimal);
            }
        }

        private void time(long sec, int nano, String key) {
            if (TarHeader.isZeroTime(sec, nano)) {
                return;
            }
            if (!fitsInBase256(12, sec)) {
                formats &= ~TarHeader.FORMAT_GNU;
            }
            boolean isMtime = key.equals("mtime");
            boolean fitsOctal = fitsInOctal(12, sec);
            if (!isMtime || !fitsOctal) {
                formats &= ~TarHeader.FORMAT_USTAR;
            }
            byte[] formatted = paxTime(sec, nano).getBytes(StandardCharsets.US_ASCII);
            if (!isMtime || !fitsOctal || nano != 0) {
                preferPax = true;
                paxHeaders.put(key, formatted);
            }
            if (recorded(key, formatted)) {
                paxHeaders.put(key, formatted);
            }
        }
    }
}
