package io.jstargz.estargz;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Go's {@code Header.allowedFormats}: which of USTAR, PAX and GNU can hold a header, and the PAX records PAX would
 * need (including records the input had that Go keeps).
 */
final class TarFormatChoice {
    private static final Set<String> BASIC_KEYS =
            Set.of("path", "linkpath", "size", "uid", "gid", "uname", "gname", "mtime", "atime", "ctime");

    int formats = TarHeader.FORMAT_USTAR | TarHeader.FORMAT_PAX | TarHeader.FORMAT_GNU;
    final TreeMap<String, byte[]> paxHeaders = new TreeMap<>();
    boolean preferPax;
    private final TarHeader h;

    private TarFormatChoice(TarHeader h) {
        this.h = h;
    }

    static TarFormatChoice of(TarHeader h) throws InvalidLayerTarException {
        TarFormatChoice c = new TarFormatChoice(h);
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
                if (h.name.length > 0 && h.name[h.name.length - 1] == '/') {
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
            if (!PaxRecords.valid(e.getKey(), new String(e.getValue(), StandardCharsets.ISO_8859_1))) {
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
        if (!TarFields.isAscii(s) || tooLong) {
            if (!key.equals("path") || GoTarWriter.splitUstarPath(s) < 0) {
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
        if (!TarFields.fitsInBase256(size, n)) {
            formats &= ~TarHeader.FORMAT_GNU;
        }
        if (!TarFields.fitsInOctal(size, n)) {
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
        if (!TarFields.fitsInBase256(12, sec)) {
            formats &= ~TarHeader.FORMAT_GNU;
        }
        boolean isMtime = key.equals("mtime");
        boolean fitsOctal = TarFields.fitsInOctal(12, sec);
        if (!isMtime || !fitsOctal) {
            formats &= ~TarHeader.FORMAT_USTAR;
        }
        byte[] formatted = PaxRecords.formatTime(sec, nano).getBytes(StandardCharsets.US_ASCII);
        if (!isMtime || !fitsOctal || nano != 0) {
            preferPax = true;
            paxHeaders.put(key, formatted);
        }
        if (recorded(key, formatted)) {
            paxHeaders.put(key, formatted);
        }
    }
}
