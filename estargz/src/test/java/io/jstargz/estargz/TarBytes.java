package io.jstargz.estargz;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** Writes raw tar blocks for tests, so headers of every format (and broken ones) can be crafted exactly. */
final class TarBytes {
    enum Magic { V7, USTAR, GNU }

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    /** Header fields; unset numbers are 0, strings empty. */
    static final class H {
        byte[] name;
        char type = '0';
        long size;
        long mode = 0644;
        long uid;
        long gid;
        long mtime = 1_700_000_000L;
        String link = "";
        String uname = "";
        String gname = "";
        long devMajor;
        long devMinor;
        String prefix = "";
        Magic magic = Magic.USTAR;
        boolean base256Uid;

        H(String name) {
            this.name = name.getBytes(StandardCharsets.UTF_8);
        }

        H type(char t) {
            type = t;
            return this;
        }

        H size(long s) {
            size = s;
            return this;
        }

        H mode(long m) {
            mode = m;
            return this;
        }

        H link(String l) {
            link = l;
            return this;
        }

        H magic(Magic m) {
            magic = m;
            return this;
        }
    }

    static H h(String name) {
        return new H(name);
    }

    static byte[] block(H h) {
        byte[] b = new byte[512];
        put(b, 0, 100, h.name);
        octal(b, 100, 8, h.mode);
        if (h.base256Uid) {
            b[108] = (byte) 0x80;
            for (int i = 7, v = (int) h.uid; i > 0; i--, v >>>= 8) {
                b[108 + i] = (byte) v;
            }
        } else {
            octal(b, 108, 8, h.uid);
        }
        octal(b, 116, 8, h.gid);
        octal(b, 124, 12, h.size);
        octal(b, 136, 12, h.mtime);
        b[156] = (byte) h.type;
        put(b, 157, 100, h.link.getBytes(StandardCharsets.UTF_8));
        if (h.magic != Magic.V7) {
            put(b, 257, 8, (h.magic == Magic.GNU ? "ustar  \0" : "ustar\u000000").getBytes(StandardCharsets.ISO_8859_1));
            put(b, 265, 32, h.uname.getBytes(StandardCharsets.UTF_8));
            put(b, 297, 32, h.gname.getBytes(StandardCharsets.UTF_8));
            octal(b, 329, 8, h.devMajor);
            octal(b, 337, 8, h.devMinor);
            put(b, 345, 155, h.prefix.getBytes(StandardCharsets.UTF_8));
        }
        checksum(b);
        return b;
    }

    static void checksum(byte[] b) {
        for (int i = 148; i < 156; i++) {
            b[i] = ' ';
        }
        long sum = 0;
        for (byte x : b) {
            sum += x & 0xff;
        }
        octal(b, 148, 7, sum);
    }

    private static void put(byte[] b, int off, int len, byte[] s) {
        System.arraycopy(s, 0, b, off, Math.min(len, s.length));
    }

    private static void octal(byte[] b, int off, int len, long v) {
        String s = String.format("%0" + (len - 1) + "o", v);
        put(b, off, len - 1, s.getBytes(StandardCharsets.US_ASCII));
    }

    TarBytes entry(H h, byte[] data) {
        h.size = data.length;
        out.writeBytes(block(h));
        data(data);
        return this;
    }

    TarBytes entry(H h) {
        out.writeBytes(block(h));
        return this;
    }

    TarBytes raw(byte[] bytes) {
        out.writeBytes(bytes);
        return this;
    }

    TarBytes data(byte[] data) {
        out.writeBytes(data);
        out.writeBytes(new byte[-data.length & 511]);
        return this;
    }

    /** A PAX extended header ('x') with these records, written as Python's tarfile does. */
    TarBytes pax(Map<String, byte[]> records) {
        ByteArrayOutputStream d = new ByteArrayOutputStream();
        records.forEach((k, v) -> d.writeBytes(PaxRecords.record(k, v)));
        return entry(h("././@PaxHeader").type('x').mode(0), d.toByteArray());
    }

    /** A GNU long name ('L') or long link ('K') header. */
    TarBytes gnuLong(char type, String value) {
        byte[] v = (value + "\0").getBytes(StandardCharsets.UTF_8);
        return entry(h("././@LongLink").type(type).magic(Magic.GNU), v);
    }

    byte[] end() {
        out.writeBytes(new byte[1024]);
        return out.toByteArray();
    }

    byte[] bytesSoFar() {
        return out.toByteArray();
    }
}
