package io.jstargz.estargz;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Tar header fields: Go's {@code archive/tar} parser and formatter for strings and numbers. */
final class TarFields {

    private TarFields() {
    }

    /** Go's {@code parser.parseString}: the bytes up to the first NUL. */
    static byte[] cString(byte[] b, int off, int len) {
        int end = Math.min(b.length, off + len);
        for (int i = off; i < end; i++) {
            if (b[i] == 0) {
                return Arrays.copyOfRange(b, off, i);
            }
        }
        return Arrays.copyOfRange(b, off, end);
    }

    /** Go's {@code formatter.formatString}. */
    static void string(byte[] blk, int off, int size, byte[] s) {
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

    static void number(byte[] blk, int off, int size, long x, boolean base256) {
        if (base256) {
            numeric(blk, off, size, x);
        } else {
            octal(blk, off, size, x);
        }
    }

    /** Go's {@code formatter.formatOctal}: zero-padded octal and a NUL; 0 if the value does not fit. */
    static void octal(byte[] blk, int off, int size, long x) {
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
    static void numeric(byte[] blk, int off, int size, long x) {
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

    /** Go's {@code parser}: numeric fields in octal or base-256; remembers whether any failed. */
    static final class NumberParser {
        boolean failed;

        long numeric(byte[] b, int off, int len) {
            if ((b[off] & 0x80) != 0) {
                int inv = (b[off] & 0x40) != 0 ? 0xff : 0;
                long x = 0;
                for (int i = 0; i < len; i++) {
                    int c = (b[off + i] ^ inv) & 0xff;
                    if (i == 0) {
                        c &= 0x7f;
                    }
                    if ((x >>> 56) > 0) {
                        failed = true;
                        return 0;
                    }
                    x = x << 8 | c;
                }
                if ((x >>> 63) > 0) {
                    failed = true;
                    return 0;
                }
                return inv == 0xff ? ~x : x;
            }
            return octal(b, off, len);
        }

        long octal(byte[] b, int off, int len) {
            int s = off;
            int e = off + len;
            while (s < e && (b[s] == ' ' || b[s] == 0)) {
                s++;
            }
            while (e > s && (b[e - 1] == ' ' || b[e - 1] == 0)) {
                e--;
            }
            if (s == e) {
                return 0;
            }
            byte[] digits = cString(b, s, e - s);
            try {
                return Long.parseUnsignedLong(new String(digits, StandardCharsets.ISO_8859_1), 8);
            } catch (NumberFormatException ex) {
                failed = true;
                return 0;
            }
        }
    }
}
