package io.jstargz.snapshotter.model;

/** Snapshot kinds; the codes are containerd's ({@code KindView=1, KindActive=2, KindCommitted=3}). */
public enum Kind {
    VIEW(1, "view"),
    ACTIVE(2, "active"),
    COMMITTED(3, "committed");

    private final int code;
    private final String filterName;

    Kind(int code, String filterName) {
        this.code = code;
        this.filterName = filterName;
    }

    /** The numeric code stored in the metadata database and sent on the wire. */
    public int code() {
        return code;
    }

    /** The name containerd filters use for this kind ({@code kind==committed}). */
    public String filterName() {
        return filterName;
    }

    /** The kind for a stored code. */
    public static Kind ofCode(int code) {
        for (Kind k : values()) {
            if (k.code == code) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown snapshot kind code " + code);
    }
}
