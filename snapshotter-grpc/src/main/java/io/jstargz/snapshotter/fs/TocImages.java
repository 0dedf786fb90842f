package io.jstargz.snapshotter.fs;

import io.jstargz.estargz.ExternalTocSource;
import io.jstargz.remote.Descriptor;
import io.jstargz.remote.Digest;
import io.jstargz.remote.ImageReference;
import io.jstargz.remote.RegistryClient;
import io.jstargz.remote.ResolvedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;

/**
 * Where a layer with an external TOC finds it, as the reference does ({@code nativeconverter/estargz/externaltoc}):
 * in the image tagged as the layer's image with {@code -esgztoc} appended, the layer annotated with the layer's
 * digest (see {@link ExternalTocSource}). Asked only for such layers; the TOC is checked against the layer's TOC
 * digest like any other.
 */
final class TocImages {
    private TocImages() {
    }

    /** The TOC of layer {@code layer} of {@code image}, from its TOC image. */
    static ExternalTocSource of(RegistryClient client, ImageReference image, Digest layer) {
        return maxSize -> {
            if (image.tag() == null) {
                throw new NoSuchFileException(image + " has no tag, so no TOC image (TAG"
                        + ExternalTocSource.TOC_IMAGE_TAG_SUFFIX + ") can be found for layer " + layer);
            }
            ImageReference tocImage = new ImageReference(image.registry(), image.repository(),
                    image.tag() + ExternalTocSource.TOC_IMAGE_TAG_SUFFIX, null);
            ResolvedImage resolved = client.resolve(tocImage);
            for (Descriptor d : resolved.manifest().layers()) {
                if (layer.toString().equals(d.annotation(ExternalTocSource.LAYER_DIGEST_ANNOTATION))) {
                    if (d.size() > maxSize) {
                        throw new IOException(tocImage + ": the TOC of layer " + layer + " is " + d.size()
                                + " bytes, over the limit of " + maxSize);
                    }
                    try (InputStream in = client.fetchBlob(tocImage, d.digest(), d.size())) {
                        return in.readAllBytes();
                    }
                }
            }
            throw new NoSuchFileException(tocImage + " has no TOC for layer " + layer);
        };
    }
}
