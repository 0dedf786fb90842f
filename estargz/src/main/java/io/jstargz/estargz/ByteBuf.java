package io.jstargz.estargz;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;

/** A growable byte array without the locking of {@link java.io.ByteArrayOutputStream}. */
final class ByteBuf {
    private byte[] buf;
    private int size;

    ByteBuf(int initialCapacity) {
        buf = new byte[Math.max(16, initialCapacity)];
    }

    /** A buffer writing into {@code array} (reused storage), from its start. */
    ByteBuf(byte[] array) {
        buf = array;
    }

    /** Makes room for at least {@code extra} more bytes. */
    void ensure(int extra) {
        if (size + extra > buf.length) {
            long want = Math.max((long) buf.length * 2, (long) size + extra);
            if (want > Integer.MAX_VALUE - 16) {
                throw new OutOfMemoryError("buffer would exceed 2 GiB");
            }
            buf = Arrays.copyOf(buf, (int) want);
        }
    }

    ByteBuf append(int b) {
        ensure(1);
        buf[size++] = (byte) b;
        return this;
    }

    ByteBuf append(byte[] b, int off, int len) {
        ensure(len);
        System.arraycopy(b, off, buf, size, len);
        size += len;
        return this;
    }

    ByteBuf append(byte[] b) {
        return append(b, 0, b.length);
    }

    ByteBuf ascii(String s) {
        ensure(s.length());
        for (int i = 0; i < s.length(); i++) {
            buf[size++] = (byte) s.charAt(i);
        }
        return this;
    }

    ByteBuf decimal(long v) {
        return ascii(Long.toString(v));
    }

    /** Appends {@code s} in UTF-8 as {@link #utf8(char[], int, int)} does. */
    ByteBuf utf8(String s) {
        char[] chars = s.toCharArray();
        return utf8(chars, 0, chars.length);
    }

    /**
     * Appends {@code s[from, to)} in UTF-8 as Go holds a string decoded from JSON: a lone surrogate becomes U+FFFD
     * (Java's encoder would write {@code ?}, merging names Go keeps apart).
     */
    ByteBuf utf8(char[] s, int from, int to) {
        ensure((to - from) * 3);
        byte[] b = buf;
        int n = size;
        int i = from;
        while (i < to && s[i] < 0x80) {
            b[n++] = (byte) s[i++];
        }
        for (; i < to; i++) {
            char c = s[i];
            if (c < 0x80) {
                b[n++] = (byte) c;
            } else if (c < 0x800) {
                b[n++] = (byte) (0xc0 | c >> 6);
                b[n++] = (byte) (0x80 | c & 0x3f);
            } else if (Character.isHighSurrogate(c) && i + 1 < to && Character.isLowSurrogate(s[i + 1])) {
                int cp = Character.toCodePoint(c, s[++i]);
                b[n++] = (byte) (0xf0 | cp >> 18);
                b[n++] = (byte) (0x80 | cp >> 12 & 0x3f);
                b[n++] = (byte) (0x80 | cp >> 6 & 0x3f);
                b[n++] = (byte) (0x80 | cp & 0x3f);
            } else {
                char u = Character.isSurrogate(c) ? '\ufffd' : c;
                b[n++] = (byte) (0xe0 | u >> 12);
                b[n++] = (byte) (0x80 | u >> 6 & 0x3f);
                b[n++] = (byte) (0x80 | u & 0x3f);
            }
        }
        size = n;
        return this;
    }

    /** Forgets the contents, keeping the storage. */
    void clear() {
        size = 0;
    }

    int size() {
        return size;
    }

    /** Bytes that fit before the buffer must grow. */
    int free() {
        return buf.length - size;
    }

    /** Marks {@code n} bytes written directly into {@link #array()} at {@link #size()}. */
    void advance(int n) {
        size += n;
    }

    byte[] array() {
        return buf;
    }

    byte[] toByteArray() {
        return Arrays.copyOf(buf, size);
    }

    void writeTo(OutputStream out) throws IOException {
        out.write(buf, 0, size);
    }
}
