package io.jstargz.estargz;

import java.nio.charset.StandardCharsets;
import java.util.Comparator;

/**
 * Go's string semantics where they leak into the format: Go strings are raw bytes, {@code encoding/json} escapes
 * them in a particular way (HTML-safe, {@code \ufffd} for each invalid UTF-8 byte), and Go sorts strings by bytes.
 */
final class GoStrings {
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    /** Orders strings as Go sorts their UTF-8 bytes, i.e. by code point (Java's compareTo orders by UTF-16 unit). */
    static final Comparator<String> BYTE_ORDER = GoStrings::compareCodePoints;

    private GoStrings() {
    }

    /** {@code s} in double quotes, for messages. */
    static String quote(String s) {
        return "\"" + s + "\"";
    }

    static int compareCodePoints(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }

    /**
     * Length of the valid UTF-8 sequence starting at {@code s[i]}, or 0 if the byte there does not start one
     * (Go's {@code utf8.DecodeRune} returning {@code RuneError, 1}).
     */
    static int runeLength(byte[] s, int i, int end) {
        int b0 = s[i] & 0xff;
        if (b0 < 0x80) {
            return 1;
        }
        int need;
        int lo = 0x80;
        int hi = 0xbf;
        if (b0 >= 0xc2 && b0 <= 0xdf) {
            need = 1;
        } else if (b0 >= 0xe0 && b0 <= 0xef) {
            need = 2;
            if (b0 == 0xe0) {
                lo = 0xa0;
            } else if (b0 == 0xed) {
                hi = 0x9f;
            }
        } else if (b0 >= 0xf0 && b0 <= 0xf4) {
            need = 3;
            if (b0 == 0xf0) {
                lo = 0x90;
            } else if (b0 == 0xf4) {
                hi = 0x8f;
            }
        } else {
            return 0;
        }
        if (i + need >= end) {
            return 0;
        }
        int b1 = s[i + 1] & 0xff;
        if (b1 < lo || b1 > hi) {
            return 0;
        }
        for (int k = 2; k <= need; k++) {
            int c = s[i + k] & 0xff;
            if (c < 0x80 || c > 0xbf) {
                return 0;
            }
        }
        return need + 1;
    }

    /** Decodes bytes as Go would print them: valid UTF-8 as is, each invalid byte as U+FFFD. */
    static String decode(byte[] s) {
        boolean ascii = true;
        for (byte b : s) {
            if (b < 0) {
                ascii = false;
                break;
            }
        }
        if (ascii) {
            return new String(s, StandardCharsets.ISO_8859_1);
        }
        StringBuilder sb = new StringBuilder(s.length);
        int i = 0;
        while (i < s.length) {
            int n = runeLength(s, i, s.length);
            if (n == 0) {
                sb.append('\ufffd');
                i++;
            } else {
                sb.append(new String(s, i, n, StandardCharsets.UTF_8));
                i += n;
            }
        }
        return sb.toString();
    }

    /** Appends {@code s} as a JSON string exactly as Go's {@code encoding/json} (with HTML escaping) would. */
    static void appendJson(ByteBuf out, String s) {
        appendJson(out, s.getBytes(StandardCharsets.UTF_8));
    }

    /** Appends raw bytes as a JSON string exactly as Go's {@code encoding/json} encodes {@code string(bytes)}. */
    static void appendJson(ByteBuf out, byte[] s) {
        out.append('"');
        int i = 0;
        while (i < s.length) {
            int b = s[i] & 0xff;
            if (b < 0x80) {
                if (b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&') {
                    out.append(b);
                } else if (b == '"' || b == '\\') {
                    out.append('\\').append(b);
                } else if (b == '\n') {
                    out.append('\\').append('n');
                } else if (b == '\r') {
                    out.append('\\').append('r');
                } else if (b == '\t') {
                    out.append('\\').append('t');
                } else {
                    out.ascii("\\u00").append(HEX[b >> 4]).append(HEX[b & 0xf]);
                }
                i++;
                continue;
            }
            int n = runeLength(s, i, s.length);
            if (n == 0) {
                out.ascii("\\ufffd");
                i++;
            } else if (n == 3 && b == 0xe2 && (s[i + 1] & 0xff) == 0x80 && ((s[i + 2] & 0xff) == 0xa8
                    || (s[i + 2] & 0xff) == 0xa9)) {
                out.ascii("\\u202").append(HEX[(s[i + 2] & 0xff) - 0xa0]);
                i += 3;
            } else {
                out.append(s, i, n);
                i += n;
            }
        }
        out.append('"');
    }
}
