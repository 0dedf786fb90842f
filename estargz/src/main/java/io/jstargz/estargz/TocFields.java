package io.jstargz.estargz;

import java.util.SortedMap;

/**
 * The fields of one TOC entry as {@link TocJsonParser} reads them, in one object reused for every entry: strings are
 * kept as characters in growable buffers, so that indexing a TOC of thousands of entries creates no string per field.
 * A consumer copies what it keeps before the next entry is read.
 */
final class TocFields {
    /** Position of the entry in the TOC's {@code entries} array, for messages. */
    int index;
    final Text name = new Text();
    final Text type = new Text();
    final Text modtime = new Text();
    final Text linkName = new Text();
    final Text userName = new Text();
    final Text groupName = new Text();
    final Text digest = new Text();
    final Text chunkDigest = new Text();
    long size;
    long mode;
    long uid;
    long gid;
    long offset;
    long innerOffset;
    long devMajor;
    long devMinor;
    long chunkOffset;
    long chunkSize;
    /** Extended attributes, or null when the entry has none (most have none). */
    SortedMap<String, byte[]> xattrs;

    /** Empties every field, for entry {@code index}. */
    void clear(int index) {
        this.index = index;
        name.clear();
        type.clear();
        modtime.clear();
        linkName.clear();
        userName.clear();
        groupName.clear();
        digest.clear();
        chunkDigest.clear();
        size = 0;
        mode = 0;
        uid = 0;
        gid = 0;
        offset = 0;
        innerOffset = 0;
        devMajor = 0;
        devMinor = 0;
        chunkOffset = 0;
        chunkSize = 0;
        xattrs = null;
    }

    /** Loads entry {@code index} from its record form (writers check their entries this way). */
    void load(int index, TocEntry e) {
        clear(index);
        name.set(e.name());
        type.set(e.type());
        modtime.set(e.modtime());
        linkName.set(e.linkName());
        userName.set(e.userName());
        groupName.set(e.groupName());
        digest.set(e.digest());
        chunkDigest.set(e.chunkDigest());
        size = e.size();
        mode = e.mode();
        uid = e.uid();
        gid = e.gid();
        offset = e.offset();
        innerOffset = e.innerOffset();
        devMajor = e.devMajor();
        devMinor = e.devMinor();
        chunkOffset = e.chunkOffset();
        chunkSize = e.chunkSize();
        xattrs = e.xattrs().isEmpty() ? null : e.xattrs();
    }

    /** The record form of the current entry. */
    TocEntry toEntry() {
        TocEntry.Builder b = TocEntry.builder(name.toString(), type.toString());
        b.size = size;
        b.modtime = modtime.toString();
        b.linkName = linkName.toString();
        b.mode = mode;
        b.uid = uid;
        b.gid = gid;
        b.userName = userName.toString();
        b.groupName = groupName.toString();
        b.offset = offset;
        b.innerOffset = innerOffset;
        b.devMajor = devMajor;
        b.devMinor = devMinor;
        b.xattrs = xattrs;
        b.digest = digest.toString();
        b.chunkOffset = chunkOffset;
        b.chunkSize = chunkSize;
        b.chunkDigest = chunkDigest.toString();
        return b.build();
    }

    /** A reusable string value: characters in a buffer that grows to the longest value seen. */
    static final class Text implements CharSequence {
        private char[] chars = new char[64];
        private int length;

        void clear() {
            length = 0;
        }

        void set(char[] src, int off, int len) {
            if (len > chars.length) {
                chars = new char[Math.max(len, chars.length * 2)];
            }
            System.arraycopy(src, off, chars, 0, len);
            length = len;
        }

        void set(String s) {
            if (s.length() > chars.length) {
                chars = new char[Math.max(s.length(), chars.length * 2)];
            }
            s.getChars(0, s.length(), chars, 0);
            length = s.length();
        }

        /** The characters, valid up to {@link #length()}: for loops that would pay for {@link #charAt} calls. */
        char[] array() {
            return chars;
        }

        /** Whether the value is the same as {@code other}'s. */
        boolean sameAs(Text other) {
            return java.util.Arrays.equals(chars, 0, length, other.chars, 0, other.length);
        }

        /** Whether the value is exactly {@code s}. */
        boolean is(String s) {
            if (s.length() != length) {
                return false;
            }
            for (int i = 0; i < length; i++) {
                if (chars[i] != s.charAt(i)) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public int length() {
            return length;
        }

        @Override
        public char charAt(int i) {
            return chars[i];
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            return toString().substring(start, end);
        }

        @Override
        public String toString() {
            return new String(chars, 0, length);
        }
    }
}
