package io.jstargz.estargz;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * PAX extended header records as Go's {@code archive/tar} reads and writes them. Keys are ISO-8859-1 strings (one
 * char per byte), values raw bytes.
 */
final class PaxRecords {

    private PaxRecords() {
    }

    /** Go's {@code parsePAX}: the records of an extended header; IllegalArgumentException if malformed. */
    static SortedMap<String, byte[]> parse(byte[] data) {
        TreeMap<String, byte[]> out = new TreeMap<>();
        String s = new String(data, StandardCharsets.ISO_8859_1);
        int pos = 0;
        while (pos < s.length()) {
            int sp = s.indexOf(' ', pos);
            long n;
            try {
                n = sp < 0 ? -1 : Long.parseLong(s.substring(pos, sp));
            } catch (NumberFormatException e) {
                n = -1;
            }
            if (n < 5 || n > s.length() - pos || pos + n <= sp + 1 || s.charAt((int) (pos + n - 1)) != '\n') {
                throw new IllegalArgumentException("malformed PAX record");
            }
            String rec = s.substring(sp + 1, (int) (pos + n - 1));
            int eq = rec.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("malformed PAX record (no '=')");
            }
            String key = rec.substring(0, eq);
            String value = rec.substring(eq + 1);
            if (!valid(key, value)) {
                throw new IllegalArgumentException("invalid PAX record " + key);
            }
            out.put(key, value.getBytes(StandardCharsets.ISO_8859_1));
            pos += (int) n;
        }
        return out;
    }

    /** Go's {@code mergePAX}: applies the records to the header; NumberFormatException on a bad number. */
    static void merge(TarHeader h, SortedMap<String, byte[]> pax) {
        for (Map.Entry<String, byte[]> e : pax.entrySet()) {
            byte[] v = e.getValue();
            if (v.length == 0) {
                continue;
            }
            String sv = new String(v, StandardCharsets.ISO_8859_1);
            switch (e.getKey()) {
                case "path" -> h.name = v;
                case "linkpath" -> h.linkname = v;
                case "uname" -> h.uname = v;
                case "gname" -> h.gname = v;
                case "uid" -> h.uid = Long.parseLong(sv);
                case "gid" -> h.gid = Long.parseLong(sv);
                case "size" -> h.size = Long.parseLong(sv);
                case "mtime" -> {
                    long[] t = parseTime(sv);
                    h.mtimeSec = t[0];
                    h.mtimeNano = (int) t[1];
                }
                case "atime" -> {
                    long[] t = parseTime(sv);
                    h.atimeSec = t[0];
                    h.atimeNano = (int) t[1];
                }
                case "ctime" -> {
                    long[] t = parseTime(sv);
                    h.ctimeSec = t[0];
                    h.ctimeNano = (int) t[1];
                }
                default -> {
                }
            }
        }
        h.paxRecords = pax;
    }

    /** Go's {@code parsePAXTime}: seconds and nanoseconds ({@code [0, 1e9)}) of {@code "s[.frac]"}. */
    static long[] parseTime(String s) {
        int dot = s.indexOf('.');
        String ss = dot < 0 ? s : s.substring(0, dot);
        String sn = dot < 0 ? "" : s.substring(dot + 1);
        long secs = Long.parseLong(ss);
        if (sn.isEmpty()) {
            return new long[] {secs, 0};
        }
        for (int i = 0; i < sn.length(); i++) {
            if (sn.charAt(i) < '0' || sn.charAt(i) > '9') {
                throw new NumberFormatException(s);
            }
        }
        sn = sn.length() < 9 ? (sn + "000000000").substring(0, 9) : sn.substring(0, 9);
        long nsecs = Long.parseLong(sn);
        if (!ss.isEmpty() && ss.charAt(0) == '-' && nsecs != 0) {
            return new long[] {secs - 1, 1_000_000_000L - nsecs};
        }
        return new long[] {secs, nsecs};
    }

    /** Go's {@code formatPAXTime}. */
    static String formatTime(long sec, int nano) {
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

    /** Go's {@code validPAXRecord}. */
    static boolean valid(String key, String value) {
        if (key.isEmpty() || key.indexOf('=') >= 0) {
            return false;
        }
        return switch (key) {
            case "path", "linkpath", "uname", "gname" -> value.indexOf('\0') < 0;
            default -> key.indexOf('\0') < 0;
        };
    }

    /** Go's {@code formatPAXRecord}: {@code "<len> <key>=<value>\n"} where len counts itself. */
    static byte[] record(String key, byte[] value) {
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
}
