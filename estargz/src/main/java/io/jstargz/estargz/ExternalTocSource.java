package io.jstargz.estargz;

import java.io.IOException;

/**
 * Where the TOC of a blob with an external TOC comes from: for a registry layer, the TOC image beside its image, as
 * the reference writes it (tagged with {@link #TOC_IMAGE_TAG_SUFFIX}, the TOC found by
 * {@link #LAYER_DIGEST_ANNOTATION}). Asked only when the blob's footer says its TOC is external, once per open.
 */
@FunctionalInterface
public interface ExternalTocSource {
    /** What the tag of the image holding a layer's external TOC adds to the tag of the layer's image. */
    String TOC_IMAGE_TAG_SUFFIX = "-esgztoc";
    /** Annotation of a TOC image's layer: the digest of the layer whose TOC it is. */
    String LAYER_DIGEST_ANNOTATION = "containerd.io/snapshot/stargz/layer.digest";

    /**
     * The compressed TOC: a gzip member holding the tar entry {@code stargz.index.json}.
     *
     * @param maxSize the most bytes the caller takes; a larger TOC must be refused, not read
     * @throws java.nio.file.NoSuchFileException (or another IOException) naming what was looked for, if there is none
     */
    byte[] fetch(long maxSize) throws IOException;
}
