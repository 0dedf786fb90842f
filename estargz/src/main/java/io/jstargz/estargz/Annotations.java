package io.jstargz.estargz;

/**
 * The annotations an eStargz layer's descriptor carries in its image's manifest (containerd hands them to the
 * snapshotter as Prepare labels).
 */
public final class Annotations {
    /** The digest of the layer's TOC JSON ({@code sha256:<hex>}): what the TOC must hash to. */
    public static final String TOC_DIGEST = "containerd.io/snapshot/stargz/toc.digest";
    /** The size of the layer's uncompressed tar, in bytes. */
    public static final String UNCOMPRESSED_SIZE = "io.containers.estargz.uncompressed-size";

    private Annotations() {
    }
}
