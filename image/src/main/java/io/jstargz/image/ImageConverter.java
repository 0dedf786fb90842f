package io.jstargz.image;

import io.jstargz.concurrent.Futures;
import io.jstargz.concurrent.Threads;
import io.jstargz.estargz.ExternalTocSource;
import io.jstargz.image.ImageTree.Image;
import io.jstargz.image.ImageTree.Index;
import io.jstargz.image.ImageTree.Node;
import io.jstargz.image.ManifestWriter.Written;
import io.jstargz.remote.BlobContent;
import io.jstargz.remote.Descriptor;
import io.jstargz.remote.Digest;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Converts a whole image to eStargz (or zstd:chunked): every layer of every selected platform, in parallel within the
 * memory budget; then configs, manifests and the index, written to the destination after the blobs they point to
 * (and, for external TOCs, after the TOC image beside it).
 *
 * <p>Each distinct layer is fetched once into an uncompressed tar in the destination's work directory, streamed
 * (never held in memory). Layers already eStargz are kept unless forced. With prioritized files, every layer of an
 * image is listed before any is converted, because a path belongs to the topmost layer that has it.
 */
public final class ImageConverter {
    private static final Logger LOG = LoggerFactory.getLogger(ImageConverter.class);

    private final ImageConvertOptions options;
    private final ConvertListener listener;

    public ImageConverter(ImageConvertOptions options, ConvertListener listener) {
        this.options = options;
        this.listener = listener;
    }

    /** Converts the image {@code src} holds into {@code sink}. */
    public ConvertReport convert(ImageSource src, ImageSink sink) throws IOException {
        long start = System.nanoTime();
        Node root = ImageTree.read(src, options.platforms(), this::note);
        List<Image> images = ImageTree.images(root);
        Map<Digest, LayerWork> works = new LinkedHashMap<>();
        for (Image image : images) {
            for (Descriptor layer : image.manifest().layers()) {
                works.computeIfAbsent(layer.digest(), d -> new LayerWork(layer, src, sink, options, listener));
            }
        }
        LOG.info("converting {}: {} image(s), {} distinct layer(s), {} at a time", src, images.size(), works.size(),
                options.parallelLayers());
        ExecutorService pool = pool(options.parallelLayers());
        try {
            Converted layers = convertLayers(images, works, pool);
            writeTocImage(layers, sink);
            List<ImageReport> reports = new ArrayList<>();
            Written top = write(root, src, sink, layers, reports, true);
            return new ConvertReport(src.toString(), sink.toString(), top.descriptor().digest(),
                    top.descriptor().mediaType(), reports,
                    Duration.ofNanos(System.nanoTime() - start));
        } finally {
            pool.shutdownNow();
            awaitTermination(pool);
        }
    }

    /** Per image: its layers, and the prioritized paths none of its layers provides. */
    private record Converted(Map<Image, List<LayerReport>> layers, Map<Image, List<String>> unassigned) {
    }

    private Converted convertLayers(List<Image> images, Map<Digest, LayerWork> works, ExecutorService pool)
            throws IOException {
        // keyed by identity: two entries of an index may hold equal manifests
        Map<Image, List<List<String>>> prioritized = new IdentityHashMap<>();
        Map<Image, List<String>> unassigned = new IdentityHashMap<>();
        if (!options.prioritizedFiles().isEmpty()) {
            // a path goes to the topmost layer that has it: every layer of an image is listed first
            Map<Digest, Future<Set<String>>> listings = new LinkedHashMap<>();
            works.forEach((d, w) -> listings.put(d, pool.submit(() -> {
                Set<String> paths = w.paths();
                w.waiting();
                return paths;
            })));
            for (Image image : images) {
                List<Set<String>> paths = new ArrayList<>();
                for (Descriptor layer : image.manifest().layers()) {
                    paths.add(await(listings.get(layer.digest()), works.get(layer.digest())));
                }
                PrioritizedFiles.Assignment a = PrioritizedFiles.assign(options.prioritizedFiles(), paths);
                prioritized.put(image, a.perLayer());
                unassigned.put(image, a.unassigned());
            }
        }
        // one job per distinct layer and prioritized files, however many images share it
        Map<String, Future<LayerReport>> jobs = new HashMap<>();
        Map<Image, List<Future<LayerReport>>> perImage = new IdentityHashMap<>();
        for (Image image : images) {
            List<Future<LayerReport>> futures = new ArrayList<>();
            List<Descriptor> layers = image.manifest().layers();
            for (int i = 0; i < layers.size(); i++) {
                LayerWork work = works.get(layers.get(i).digest());
                List<String> files = prioritized.containsKey(image) ? prioritized.get(image).get(i) : List.of();
                futures.add(jobs.computeIfAbsent(layers.get(i).digest() + " " + files, k -> {
                    work.addUse();
                    return pool.submit(() -> work.produce(files));
                }));
            }
            perImage.put(image, futures);
        }
        Map<Image, List<LayerReport>> out = new IdentityHashMap<>();
        for (Image image : images) {
            List<LayerReport> reports = new ArrayList<>();
            List<Descriptor> layers = image.manifest().layers();
            for (int i = 0; i < layers.size(); i++) {
                reports.add(await(perImage.get(image).get(i), works.get(layers.get(i).digest())));
            }
            out.put(image, reports);
        }
        return new Converted(out, unassigned);
    }

    /**
     * Writes the TOC image of the layers converted with an external TOC, if any: before the image, so that its tag
     * never names an image whose TOCs cannot be found.
     */
    private void writeTocImage(Converted layers, ImageSink sink) throws IOException {
        Map<Digest, byte[]> tocs = new LinkedHashMap<>();
        for (List<LayerReport> reports : layers.layers().values()) {
            for (LayerReport r : reports) {
                if (r.externalToc() != null) {
                    tocs.put(r.target().digest(), r.externalToc());
                }
            }
        }
        if (!tocs.isEmpty()) {
            Digest digest = TocImage.write(sink, tocs);
            note("TOC image " + digest + " (" + tocs.size() + " TOC(s)), its tag ending with "
                    + ExternalTocSource.TOC_IMAGE_TAG_SUFFIX);
        }
    }

    /** Writes config and manifest of each image, then the indexes above them; returns the top document. */
    private Written write(Node node, ImageSource src, ImageSink sink, Converted layers,
                          List<ImageReport> reports, boolean top) throws IOException {
        Written written;
        if (node instanceof Image image) {
            List<LayerReport> layerReports = layers.layers().get(image);
            Written config = ManifestWriter.config(image, layerReports);
            if (config.bytes() == image.configBytes()) {
                sink.putBlob(config.descriptor(), src.content(image.manifest().config()), src.repository());
            } else {
                sink.putBlob(config.descriptor(), BlobContent.of(config.bytes()), null);
            }
            written = ManifestWriter.manifest(image, config, layerReports);
            reports.add(new ImageReport(image.platform(), image.descriptor().digest(),
                    written.descriptor().digest(), layerReports,
                    layers.unassigned().getOrDefault(image, List.of())));
            note(image.platform() + ": manifest " + written.descriptor().digest()
                    + (written.descriptor().digest().equals(image.descriptor().digest()) ? " (unchanged)" : ""));
        } else {
            Index index = (Index) node;
            List<Written> children = new ArrayList<>();
            for (Node child : index.children()) {
                children.add(write(child, src, sink, layers, reports, false));
            }
            written = ManifestWriter.index(index, children);
        }
        if (top) {
            sink.commit(written.descriptor(), written.bytes());
        } else {
            sink.putManifest(written.descriptor(), written.bytes());
        }
        return written;
    }

    private void note(String line) {
        LOG.info(line);
        listener.note(line);
    }

    private static <T> T await(Future<T> future, LayerWork work) throws IOException {
        return Futures.get(future, "converting layer " + work.source().digest());
    }

    private static ExecutorService pool(int threads) {
        return Executors.newFixedThreadPool(threads, Threads.named("jstargz-layer"));
    }

    private static void awaitTermination(ExecutorService pool) {
        try {
            if (!pool.awaitTermination(60, TimeUnit.SECONDS)) {
                LOG.warn("layer conversions still running 60 s after the conversion ended");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
