package io.jstargz.estargz;

/** The kind of file an {@link Entry} is. Hardlinks are resolved to their target, so there is no hardlink type. */
public enum EntryType {
    DIR("dir", 0040000),
    REG("reg", 0100000),
    SYMLINK("symlink", 0120000),
    CHAR("char", 0020000),
    BLOCK("block", 0060000),
    FIFO("fifo", 0010000);

    private static final EntryType[] VALUES = values();

    private final String tocName;
    private final int unixTypeBits;

    EntryType(String tocName, int unixTypeBits) {
        this.tocName = tocName;
        this.unixTypeBits = unixTypeBits;
    }

    /** The TOC's name for the type ({@code "reg"} ...). */
    public String tocName() {
        return tocName;
    }

    /** The {@code S_IFMT} bits of {@code st_mode} for this type. */
    public int unixTypeBits() {
        return unixTypeBits;
    }

    /** The type whose {@link #ordinal()} is {@code ordinal}. */
    static EntryType byOrdinal(int ordinal) {
        return VALUES[ordinal];
    }

    /** The type for a TOC {@code type} value other than {@code hardlink} or {@code chunk}, or null. */
    static EntryType fromToc(CharSequence type) {
        for (EntryType t : VALUES) {
            if (t.tocName.contentEquals(type)) {
                return t;
            }
        }
        return null;
    }
}
