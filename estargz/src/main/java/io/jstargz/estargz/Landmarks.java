package io.jstargz.estargz;

/** Names the format reserves at the root of a layer. */
public final class Landmarks {
    /** Marks the end of the prioritized files; prefetch {@code [0, its offset)}. */
    public static final String PREFETCH = ".prefetch.landmark";
    /** Present when there are no prioritized files: do not prefetch. */
    public static final String NO_PREFETCH = ".no.prefetch.landmark";
    /** The TOC's own tar entry name. */
    public static final String TOC_TAR_NAME = "stargz.index.json";
    /** Prefix of an overlay whiteout entry ({@code .wh.<name>} hides {@code <name>} of lower layers). */
    public static final String WHITEOUT_PREFIX = ".wh.";
    /** Marks its directory as opaque: lower layers' contents of it are hidden. */
    public static final String OPAQUE_MARKER = ".wh..wh..opq";

    private Landmarks() {
    }
}
