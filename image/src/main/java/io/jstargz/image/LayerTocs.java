package io.jstargz.image;

import io.jstargz.estargz.Annotations;
import io.jstargz.estargz.BlobSource;
import io.jstargz.estargz.EstargzReader;
import io.jstargz.estargz.InvalidBlobException;
import io.jstargz.estargz.OpenOptions;
import io.jstargz.remote.Descriptor;
import io.jstargz.remote.Platform;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The TOC digest of each layer of an image (what {@code jstargz image toc-digest} prints): the
 * {@code containerd.io/snapshot/stargz/toc.digest} annotation when the manifest has it, as the snapshotter reads it;
 * else the digest of the TOC the layer's footer points to, read from the blob's tail. A layer with neither is not
 * eStargz, and says why.
 */
public final class LayerTocs {

    /** Where a layer's TOC digest came from. */
    public enum Origin { ANNOTATION, FOOTER, NONE }

    /**
     * One layer.
     *
     * @param platform  the image's platform
     * @param index     the layer's position in its manifest, 0 for the lowest
     * @param layer     the layer's descriptor
     * @param tocDigest its TOC digest, or {@code null} when it is not eStargz
     * @param problem   why it is not eStargz, or {@code null}
     */
    public record LayerToc(String platform, int index, Descriptor layer, String tocDigest, Origin origin,
                           String problem) {
    }

    private LayerTocs() {
    }

    /** The layers of the images {@code src} names for {@code platforms} (every platform if empty), in order. */
    public static List<LayerToc> read(ImageSource src, List<Platform> platforms) throws IOException {
        List<LayerToc> out = new ArrayList<>();
        for (ImageTree.Image image : ImageTree.images(ImageTree.read(src, platforms, note -> { }))) {
            List<Descriptor> layers = image.manifest().layers();
            for (int i = 0; i < layers.size(); i++) {
                out.add(layer(src, image.platform(), i, layers.get(i)));
            }
        }
        return out;
    }

    private static LayerToc layer(ImageSource src, String platform, int index, Descriptor layer) throws IOException {
        String annotated = layer.annotation(Annotations.TOC_DIGEST);
        if (annotated != null && !annotated.isEmpty()) {
            return new LayerToc(platform, index, layer, annotated, Origin.ANNOTATION, null);
        }
        String name = "layer " + index + " (" + layer.digest() + ")";
        try (BlobSource blob = src.randomAccess(layer)) {
            String toc = EstargzReader.open(blob, OpenOptions.defaults(name)).tocDigest();
            return new LayerToc(platform, index, layer, toc, Origin.FOOTER, null);
        } catch (InvalidBlobException e) {
            return new LayerToc(platform, index, layer, null, Origin.NONE, "not eStargz (" + layer.mediaType()
                    + "): " + e.getMessage());
        }
    }
}
