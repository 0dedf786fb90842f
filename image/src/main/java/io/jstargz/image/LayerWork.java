package io.jstargz.image;

import io.jstargz.estargz.Annotations;
import io.jstargz.estargz.BlobSource;
import io.jstargz.estargz.ConvertResult;
import io.jstargz.estargz.EstargzReader;
import io.jstargz.estargz.InvalidBlobException;
import io.jstargz.estargz.LayerConverter;
import io.jstargz.estargz.LayerIndex;
import io.jstargz.estargz.LayerStreams;
import io.jstargz.estargz.OpenOptions;
import io.jstargz.image.LayerProgress.Phase;
import io.jstargz.image.LayerReport.Outcome;
import io.jstargz.remote.BlobContent;
import io.jstargz.remote.Descriptor;
import io.jstargz.remote.Digest;
import io.jstargz.remote.DigestVerifyingInputStream;
import io.jstargz.remote.MediaTypes;
import io.jstargz.remote.PushOutcome;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The work on one source layer (one digest, however many manifests use it): decide whether it is already in the
 * target format (eStargz, zstd:chunked),
 * fetch it into an uncompressed tar in the work directory (checking its digest) while listing its paths, convert
 * that tar with the files prioritized for it, and hand the blob to the destination. The staged tar is deleted after
 * the last conversion that needs it.
 */
final class LayerWork {
    private static final Logger LOG = LoggerFactory.getLogger(LayerWork.class);

    private final Descriptor source;
    private final ImageSource src;
    private final ImageSink sink;
    private final ImageConvertOptions options;
    private final ConvertListener listener;
    private final LayerProgress progress;
    private final String name;

    private Boolean reusable;
    private Set<String> tocPaths;
    private Path staged;
    private Set<String> stagedPaths;
    private int pendingUses;

    LayerWork(Descriptor source, ImageSource src, ImageSink sink, ImageConvertOptions options,
              ConvertListener listener) {
        this.source = source;
        this.src = src;
        this.sink = sink;
        this.options = options;
        this.listener = listener;
        this.progress = new LayerProgress(source.digest(), source.size());
        this.name = "layer " + source.digest() + " of " + src;
        listener.layerAdded(progress);
    }

    Descriptor source() {
        return source;
    }

    /** One more conversion will read the staged tar. */
    synchronized void addUse() {
        pendingUses++;
    }

    private void phase(Phase p) {
        progress.phase(p);
        listener.layerPhase(progress);
    }

    /**
     * Whether the layer is in the target format already: its media type is the format's, and its TOC verifies
     * against its annotation (and not forced).
     */
    synchronized boolean reusable() throws IOException {
        if (reusable == null) {
            reusable = false;
            String toc = source.annotation(Annotations.TOC_DIGEST);
            String type = Manifests.toOci(source.mediaType());
            if (!options.force() && Manifests.layerMediaType(options.format()).equals(type) && toc != null) {
                phase(Phase.CHECKING);
                try (BlobSource blob = src.randomAccess(source)) {
                    LayerIndex index = EstargzReader.open(blob, OpenOptions.defaults(name).withExpectedTocDigest(toc));
                    if (index.format() == options.format()) {
                        tocPaths = new HashSet<>(index.paths());
                        reusable = true;
                    } else {
                        LOG.info("{} is {}, converting it to {}", name, index.format(), options.format());
                    }
                } catch (InvalidBlobException e) {
                    LOG.info("{} carries a TOC digest but is not a valid {} blob, converting it: {}", name,
                            options.format(), e.getMessage());
                }
            }
        }
        return reusable;
    }

    /** The layer's normalised paths: from its TOC when reusable, else from the staged tar. */
    synchronized Set<String> paths() throws IOException {
        if (reusable()) {
            return tocPaths;
        }
        stage();
        return stagedPaths;
    }

    /** Fetches the layer into an uncompressed tar in the work directory, listing its paths on the way. */
    synchronized void stage() throws IOException {
        if (staged != null) {
            return;
        }
        phase(Phase.FETCHING);
        Path tar = Files.createTempFile(sink.workDir(), "layer-", ".tar");
        try (InputStream raw = src.openBlob(source)) {
            DigestVerifyingInputStream verified = new DigestVerifyingInputStream(raw, source.digest(), source.size(),
                    name, progress::addIn);
            InputStream plain = LayerStreams.plainTar(verified);
            List<String> paths;
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tar), 1 << 20)) {
                InputStream tee = Streams.tee(plain, out);
                paths = LayerConverter.listPaths(tee);
                tee.transferTo(OutputStream.nullOutputStream());
            }
            verified.finish();
            staged = tar;
            stagedPaths = new HashSet<>(paths);
        } catch (IOException e) {
            Files.deleteIfExists(tar);
            throw withName(e);
        } catch (RuntimeException e) {
            Files.deleteIfExists(tar);
            throw e;
        }
    }

    /** Marks the layer as waiting for the other layers of its image (their paths decide its prioritized files). */
    void waiting() {
        phase(Phase.WAITING);
    }

    /**
     * Produces the layer for a manifest: kept when it is already eStargz and nothing is to be prioritized in it,
     * else converted with {@code prioritized} first; then copied to the destination.
     */
    LayerReport produce(List<String> prioritized) throws IOException {
        try {
            if (Manifests.isNonDistributable(source.mediaType())) {
                // not ours to copy: registries serve it from its urls
                phase(Phase.KEPT);
                return new LayerReport(source, withType(source, Manifests.toOci(source.mediaType())), null,
                        Outcome.KEPT, null, List.of(), List.of(), null);
            }
            if (options.uncompress()) {
                return uncompress();
            }
            if (prioritized.isEmpty() && reusable()) {
                return reuse();
            }
            return convert(prioritized);
        } catch (IOException | RuntimeException e) {
            phase(Phase.FAILED);
            throw e;
        } finally {
            release();
        }
    }

    private LayerReport reuse() throws IOException {
        Descriptor target = withType(source, Manifests.layerMediaType(options.format()));
        if (source.annotation(Annotations.UNCOMPRESSED_SIZE) == null) {
            target = withAnnotations(target, Map.of(Annotations.UNCOMPRESSED_SIZE,
                    Long.toString(uncompressedSize())));
        }
        phase(Phase.PUSHING);
        PushOutcome push = sink.putBlob(target, src.content(source), src.repository());
        progress.setOut(source.size());
        phase(Phase.REUSED);
        return new LayerReport(source, target, null, Outcome.REUSED, push, List.of(), List.of(), null);
    }

    private LayerReport convert(List<String> prioritized) throws IOException {
        stage();
        phase(Phase.CONVERTING);
        Path out = Files.createTempFile(sink.workDir(), "layer-", ".esgz");
        try {
            ConvertResult result;
            try (OutputStream os = Streams.counting(new BufferedOutputStream(Files.newOutputStream(out), 1 << 20),
                    progress::addOut)) {
                result = new LayerConverter(options.layer().withPrioritizedFiles(prioritized)
                        .withTempDir(sink.workDir())).convert(staged, os);
            }
            Map<String, String> annotations = new TreeMap<>(result.formatAnnotations());
            annotations.put(Annotations.TOC_DIGEST, result.tocDigest());
            annotations.put(Annotations.UNCOMPRESSED_SIZE, Long.toString(result.uncompressedSize()));
            Descriptor target = withAnnotations(new Descriptor(Manifests.layerMediaType(options.format()),
                    Digest.parse(result.blobDigest()), result.size(), List.of(), source.annotations(), null),
                    annotations);
            phase(Phase.PUSHING);
            PushOutcome push = sink.adoptBlob(target, out);
            phase(Phase.CONVERTED);
            return new LayerReport(source, target, result.diffId(), Outcome.CONVERTED, push, prioritized,
                    result.missedPrioritizedFiles(), result.externalToc());
        } catch (IOException e) {
            throw withName(e);
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /**
     * The layer as its plain tar: kept when it is one already, else the staged tar (linked, not copied: other uses
     * may still read it). Its digest is its diffID, which does not change.
     */
    private LayerReport uncompress() throws IOException {
        if (Manifests.isUncompressedLayer(source.mediaType())) {
            Descriptor target = withType(source, MediaTypes.OCI_LAYER);
            phase(Phase.PUSHING);
            PushOutcome push = sink.putBlob(target, src.content(source), src.repository());
            phase(Phase.REUSED);
            return new LayerReport(source, target, null, Outcome.REUSED, push, List.of(), List.of(), null);
        }
        stage();
        phase(Phase.CONVERTING);
        Path link = sink.workDir().resolve("uncompressed-" + source.digest().hex() + ".tar");
        Files.deleteIfExists(link);
        Files.createLink(link, staged);
        try {
            BlobContent tar = BlobContent.of(link);
            Map<String, String> annotations = new TreeMap<>(source.annotations());
            annotations.keySet().removeAll(List.of(Annotations.TOC_DIGEST, Annotations.UNCOMPRESSED_SIZE));
            annotations.keySet().removeIf(k -> k.startsWith("io.containers.zstd-chunked."));
            Descriptor target = new Descriptor(MediaTypes.OCI_LAYER, tar.digest(), tar.size(), List.of(),
                    annotations, null);
            progress.addOut(tar.size());
            phase(Phase.PUSHING);
            PushOutcome push = sink.adoptBlob(target, link);
            phase(Phase.CONVERTED);
            return new LayerReport(source, target, null, Outcome.CONVERTED, push, List.of(), List.of(), null);
        } finally {
            Files.deleteIfExists(link);
        }
    }

    /** Deletes the staged tar once no conversion needs it any more. */
    private synchronized void release() throws IOException {
        if (--pendingUses <= 0 && staged != null) {
            Files.deleteIfExists(staged);
            staged = null;
        }
    }

    private long uncompressedSize() throws IOException {
        phase(Phase.FETCHING);
        try (InputStream raw = src.openBlob(source); InputStream in = LayerStreams.plainTar(raw)) {
            return in.transferTo(OutputStream.nullOutputStream());
        }
    }

    /** The error, naming this layer if it does not yet. */
    private IOException withName(IOException e) {
        String message = String.valueOf(e.getMessage());
        return message.contains(source.digest().toString()) ? e : new IOException(name + ": " + message, e);
    }

    private static Descriptor withType(Descriptor d, String mediaType) {
        return new Descriptor(mediaType, d.digest(), d.size(), d.urls(), d.annotations(), d.platform());
    }

    private static Descriptor withAnnotations(Descriptor d, Map<String, String> more) {
        Map<String, String> all = new TreeMap<>(d.annotations());
        all.putAll(more);
        return new Descriptor(d.mediaType(), d.digest(), d.size(), d.urls(), all, d.platform());
    }
}
