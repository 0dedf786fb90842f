package io.jstargz.estargz;

/** Which footer a blob ends with. Both point at the same TOC layout. */
public enum FooterKind {
    /** The 51-byte RFC 1952-compliant eStargz footer (extra subfield {@code SG}). */
    ESTARGZ(51),
    /** The 47-byte footer of the original (CRFS) stargz format: the raw extra field without a subfield header. */
    LEGACY(47);

    private final int size;

    FooterKind(int size) {
        this.size = size;
    }

    /** Footer size in bytes. */
    public int size() {
        return size;
    }
}
