package io.jstargz.image;

import io.jstargz.cache.ChunkCache;
import io.jstargz.cache.ChunkCacheConfig;
import io.jstargz.estargz.Annotations;
import io.jstargz.estargz.BlobFormat;
import io.jstargz.estargz.FileBlobSource;
import io.jstargz.fs.LayerIdentity;
import io.jstargz.image.ImageTree.Image;
import io.jstargz.mount.FileTrees;
import io.jstargz.remote.Platform;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Converts an image with the files its workload reads prioritized: runs the workload once over the image's own
 * layers, mounted with jstargz's FUSE filesystem and an access recorder, stacked with overlayfs and run by runc, for
 * at most a period; then converts the image with the recorded files first in the layers that provide them, so a
 * lazy pull prefetches exactly those files, in one request per layer.
 *
 * <p>The workload runs from this machine's platform. Layers that are not eStargz yet are first converted without
 * compression into the work directory to be mounted; eStargz layers are mounted straight from the source.
 */
public final class ImageOptimizer {
    private static final Logger LOG = LoggerFactory.getLogger(ImageOptimizer.class);
    private static final long CACHE_MEMORY = 64L << 20;
    private static final long CACHE_DISK = 4L << 30;

    /**
     * How to optimize.
     *
     * @param convert  how to convert; its prioritized files come after the recorded ones
     * @param command  the process to run; empty: the image's entrypoint and cmd
     * @param settings env, mounts, user, working directory, network, entrypoint and args over the image config's
     * @param period   how long the workload may run before it is stopped
     * @param tempBase where the work directory goes; null: {@code java.io.tmpdir}
     */
    public record Options(ImageConvertOptions convert, List<String> command, WorkloadSettings settings,
                          Duration period, Path tempBase) {
        public Options {
            Objects.requireNonNull(convert, "convert");
            Objects.requireNonNull(settings, "settings");
            command = List.copyOf(command);
            if (period.isNegative() || period.isZero()) {
                throw new IllegalArgumentException("the period must be positive, got " + period);
            }
        }
    }

    /**
     * What happened.
     *
     * @param recorded the files the workload opened, in order, with the layer that provided each
     * @param exitCode the workload's exit code, or -1 when it was stopped at the end of the period
     * @param ran      how long the workload ran
     * @param output   the end of the workload's output
     * @param convert  the final conversion
     */
    public record Report(List<RecordFile.Entry> recorded, int exitCode, Duration ran, String output,
                         ConvertReport convert) {
        public Report {
            recorded = List.copyOf(recorded);
        }
    }

    private final Options options;
    private final ConvertListener listener;

    public ImageOptimizer(Options options, ConvertListener listener) {
        this.options = options;
        this.listener = listener;
    }

    /** Records the workload of the image {@code src} holds and writes the optimized image to {@code sink}. */
    public Report optimize(ImageSource src, ImageSink sink) throws IOException {
        Platform here = Platform.current();
        Image image = ImageTree.images(ImageTree.read(src, List.of(here), listener::note)).get(0);
        Path work = options.tempBase() == null ? Files.createTempDirectory("jstargz-optimize-")
                : Files.createTempDirectory(options.tempBase(), "jstargz-optimize-");
        List<RecordFile.Entry> recorded = new ArrayList<>();
        Workload.Result result;
        try {
            listener.note("preparing " + image.manifest().layers().size() + " layer(s) of " + image.platform()
                    + " to run the workload");
            PrepSink prep = new PrepSink(work.resolve("prep"));
            // any format mounts for the run: eStargz, stored (level 0), is the quickest to make
            ImageConvertOptions quick = options.convert().withFormat(BlobFormat.ESTARGZ).withCompressionLevel(0)
                    .withPrioritizedFiles(List.of()).withPlatforms(List.of(here)).withForce(false);
            ConvertReport prepared = new ImageConverter(quick, ConvertListener.NONE).convert(src, prep);
            List<Workload.Layer> layers = layers(src, prep, prepared.images().get(0));
            AccessRecorder recorder = new AccessRecorder();
            try (ChunkCache cache = ChunkCache.open(new ChunkCacheConfig(work.resolve("cache"), CACHE_MEMORY,
                    CACHE_DISK, ChunkCacheConfig.DEFAULT_SHARD_WIDTH));
                 Workload workload = Workload.mount(work.resolve("run"), layers, cache, recorder)) {
                RuntimeSpec.Process process = RuntimeSpec.process(image.config(), options.command(),
                        options.settings(), workload::readFile);
                listener.note("running " + String.join(" ", process.args()) + " for at most "
                        + options.period().toSeconds() + " s");
                result = workload.run(process, options.settings(), options.period());
            }
            for (AccessRecorder.Access a : recorder.accesses()) {
                recorded.add(new RecordFile.Entry(a.path(), image.descriptor().digest().toString(), a.layer()));
            }
        } finally {
            FileTrees.removeTree(work);
        }
        listener.note("the workload " + (result.exitCode() < 0 ? "was stopped after " + result.elapsed().toSeconds()
                + " s" : "exited with " + result.exitCode()) + "; it opened " + recorded.size() + " file(s)");
        if (recorded.isEmpty()) {
            LOG.warn("the workload opened no file of the image: nothing is prioritized");
        }
        LinkedHashSet<String> files = new LinkedHashSet<>();
        recorded.forEach(e -> files.add(e.path()));
        files.addAll(options.convert().prioritizedFiles());
        ConvertReport report = new ImageConverter(options.convert().withPrioritizedFiles(List.copyOf(files)),
                listener).convert(src, sink);
        return new Report(recorded, result.exitCode(), result.elapsed(), result.output(), report);
    }

    /** The layers to mount: converted ones from the work directory, eStargz ones from the source. */
    private static List<Workload.Layer> layers(ImageSource src, PrepSink prep, ImageReport image)
            throws IOException {
        List<Workload.Layer> out = new ArrayList<>();
        for (LayerReport l : image.layers()) {
            LayerIdentity id = new LayerIdentity(src.toString(), l.source().digest().toString());
            String toc = l.target().annotation(Annotations.TOC_DIGEST);
            switch (l.outcome()) {
                case CONVERTED -> out.add(new Workload.Layer(id, () -> FileBlobSource.open(prep.blob(
                        l.target().digest())), toc));
                case REUSED -> out.add(new Workload.Layer(id, () -> src.randomAccess(l.source()), toc));
                case KEPT -> throw new IOException("layer " + l.source().digest() + " (" + l.source().mediaType()
                        + ") cannot be mounted to run the workload");
            }
        }
        return out;
    }
}
