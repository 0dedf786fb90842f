package io.jstargz.estargz;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.SortedMap;

/**
 * A tar header as Go's {@code archive/tar.Header} holds it. Strings are raw bytes (as Go strings are); PAX record
 * keys are ISO-8859-1 strings so that each char is one byte and they sort as Go sorts them.
 */
final class TarHeader {
    static final int FORMAT_UNKNOWN = 0;
    static final int FORMAT_V7 = 1;
    static final int FORMAT_USTAR = 2;
    static final int FORMAT_PAX = 4;
    static final int FORMAT_GNU = 8;
    static final int FORMAT_STAR = 16;

    static final byte TYPE_REG = '0';
    static final byte TYPE_REG_A = 0;
    static final byte TYPE_LINK = '1';
    static final byte TYPE_SYMLINK = '2';
    static final byte TYPE_CHAR = '3';
    static final byte TYPE_BLOCK = '4';
    static final byte TYPE_DIR = '5';
    static final byte TYPE_FIFO = '6';
    static final byte TYPE_X_HEADER = 'x';
    static final byte TYPE_X_GLOBAL = 'g';
    static final byte TYPE_GNU_SPARSE = 'S';
    static final byte TYPE_GNU_LONG_NAME = 'L';
    static final byte TYPE_GNU_LONG_LINK = 'K';

    /** Unix seconds of Go's zero {@code time.Time} (January 1, year 1). */
    static final long ZERO_TIME_SECONDS = -62135596800L;

    private static final byte[] EMPTY = new byte[0];

    byte typeflag;
    byte[] name = EMPTY;
    byte[] linkname = EMPTY;
    byte[] uname = EMPTY;
    byte[] gname = EMPTY;
    long size;
    long mode;
    long uid;
    long gid;
    long devmajor;
    long devminor;
    long mtimeSec = ZERO_TIME_SECONDS;
    int mtimeNano;
    long atimeSec = ZERO_TIME_SECONDS;
    int atimeNano;
    long ctimeSec = ZERO_TIME_SECONDS;
    int ctimeNano;
    /** PAX records as read; never modified once set, so headers can share it. */
    SortedMap<String, byte[]> paxRecords = Collections.emptySortedMap();
    int format;

    /** A header for a regular file the converter adds itself (a landmark or the TOC). */
    static TarHeader regular(String name, long size) {
        TarHeader h = new TarHeader();
        h.typeflag = TYPE_REG;
        h.name = name.getBytes(StandardCharsets.UTF_8);
        h.size = size;
        return h;
    }

    TarHeader copy() {
        TarHeader h = new TarHeader();
        h.typeflag = typeflag;
        h.name = name;
        h.linkname = linkname;
        h.uname = uname;
        h.gname = gname;
        h.size = size;
        h.mode = mode;
        h.uid = uid;
        h.gid = gid;
        h.devmajor = devmajor;
        h.devminor = devminor;
        h.mtimeSec = mtimeSec;
        h.mtimeNano = mtimeNano;
        h.atimeSec = atimeSec;
        h.atimeNano = atimeNano;
        h.ctimeSec = ctimeSec;
        h.ctimeNano = ctimeNano;
        h.paxRecords = paxRecords;
        h.format = format;
        return h;
    }

    /** Go's {@code isHeaderOnlyType}: these types never have a data section, whatever the size field says. */
    boolean headerOnly() {
        return switch (typeflag) {
            case TYPE_LINK, TYPE_SYMLINK, TYPE_CHAR, TYPE_BLOCK, TYPE_DIR, TYPE_FIFO -> true;
            default -> false;
        };
    }

    /** Bytes of data that follow the header in the archive. */
    long dataSize() {
        return headerOnly() ? 0 : size;
    }

    /** The name as an ISO-8859-1 string: one char per byte, for byte-exact path handling. */
    String rawName() {
        return new String(name, StandardCharsets.ISO_8859_1);
    }

    /** The name as Go would print it, for messages and the TOC. */
    String displayName() {
        return GoStrings.decode(name);
    }

    static boolean isZeroTime(long sec, int nano) {
        return sec == ZERO_TIME_SECONDS && nano == 0;
    }
}
