package io.jstargz.snapshotter.lazy;

import io.jstargz.cache.ChunkCache;
import io.jstargz.cache.ChunkCacheConfig;
import io.jstargz.fs.LayerIdentity;
import io.jstargz.fs.LayerMount;
import io.jstargz.fs.LayerMountOptions;
import io.jstargz.fs.LayerProgress;
import io.jstargz.fs.binding.linux.Unmounter;
import io.jstargz.remote.Digest;
import io.jstargz.remote.ImageReference;
import io.jstargz.remote.RegistryClient;
import io.jstargz.snapshotter.config.Config;
import io.jstargz.snapshotter.remotelayer.FetchProgress;
import io.jstargz.snapshotter.remotelayer.LayerSource;
import io.jstargz.snapshotter.remotelayer.LayerUnavailableException;
import io.jstargz.snapshotter.remotelayer.PrepareOutcome;
import io.jstargz.snapshotter.remotelayer.RemoteLayerRecord;
import io.jstargz.snapshotter.remotelayer.RemoteLayerService;
import io.jstargz.snapshotter.remotelayer.SnapshotRef;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lazily pulled layers: each eStargz layer is opened (its TOC, one registry request, or none when a copy is stored)
 * and mounted with FUSE; its bytes are fetched when read. Built by the daemon from its configuration: one registry
 * client, one chunk cache, one {@link LayerOpener} shared by all layers.
 */
public final class FuseRemoteLayers implements RemoteLayerService {
    private static final Logger LOG = LoggerFactory.getLogger(FuseRemoteLayers.class);
    private static final Duration FLUSH_TIMEOUT = Duration.ofSeconds(60);

    /** A mounted layer. {@code waited} turns true at its first check, which may wait for its prefetch. */
    private record Mounted(LayerMount mount, Digest digest, AtomicBoolean waited) {
    }

    private final RegistryClient client;
    private final ChunkCache cache;
    private final LayerTails tails;
    private final LayerOpener opener;
    private final LayerMountOptions mountOptions;
    private final QuietPeriod quiet;
    private final Verification verification;
    private final Duration mountTimeout;
    private final Duration prefetchWait;
    private final Map<Path, Mounted> mounts = new ConcurrentHashMap<>();
    private final FetchTotals totals = new FetchTotals();

    FuseRemoteLayers(RegistryClient client, ChunkCache cache, LayerTails tails, LayerMountOptions mountOptions,
                     Verification verification, Duration mountTimeout, Duration prefetchWait,
                     Duration backgroundQuiet) {
        this.client = client;
        this.cache = cache;
        this.tails = tails;
        this.opener = new LayerOpener(client, tails);
        this.quiet = new QuietPeriod(backgroundQuiet);
        this.mountOptions = mountOptions.toBuilder().backgroundGate(quiet).build();
        this.verification = verification;
        this.mountTimeout = mountTimeout;
        this.prefetchWait = prefetchWait;
    }

    /** The service {@code config} describes: its registry settings, chunk cache and fetch policy. */
    public static FuseRemoteLayers create(Config config) throws IOException {
        ChunkCache cache = ChunkCache.open(new ChunkCacheConfig(config.cacheDir(), config.cache().maxMemoryBytes(),
                config.cache().maxDiskBytes(), ChunkCacheConfig.DEFAULT_SHARD_WIDTH));
        RegistryClient client = RegistryClient.create(Settings.registry(config));
        try {
            return new FuseRemoteLayers(client, cache, new LayerTails(config.root().resolve("layers")),
                    Settings.mountOptions(config), new Verification(config.allowNoVerification()),
                    Duration.ofSeconds(config.fuse().mountTimeoutSeconds()),
                    Duration.ofSeconds(config.fetch().prefetchWaitSeconds()),
                    Duration.ofSeconds(config.fetch().backgroundQuietSeconds()));
        } catch (IOException | RuntimeException e) {
            client.close();
            cache.close();
            throw e;
        }
    }

    @Override
    public void prefetchNeighbours(LayerSource source, Map<String, String> labels) {
        if (verification.refusal(labels) != null || source.neighbours().isEmpty()) {
            return; // a layer that will not be mounted says nothing good about its neighbours
        }
        try {
            ImageReference image = ImageReference.parse(source.imageRef());
            for (String d : source.neighbours()) {
                opener.open(image, Digest.parse(d));
            }
        } catch (IllegalArgumentException e) {
            LOG.debug("not resolving the neighbours of {}: {}", source.layerDigest(), e.getMessage());
        }
    }

    @Override
    public PrepareOutcome prepare(SnapshotRef ref, Map<String, String> labels, Path mountPoint) {
        quiet.begin();
        try {
            return prepareLayer(ref, labels, mountPoint);
        } finally {
            quiet.end();
        }
    }

    private PrepareOutcome prepareLayer(SnapshotRef ref, Map<String, String> labels, Path mountPoint) {
        String refusal = verification.refusal(labels);
        if (refusal != null) {
            return new PrepareOutcome.Fallback(refusal);
        }
        String expectedToc = labels.get(LayerSource.TOC_DIGEST);
        LayerSource source = ref.source();
        long start = System.nanoTime();
        try {
            ImageReference image = ImageReference.parse(source.imageRef());
            Digest digest = Digest.parse(source.layerDigest());
            LayerOpener.Opened opened = await(image, digest);
            if (expectedToc != null && !expectedToc.equals(opened.index().tocDigest())) {
                return new PrepareOutcome.Fallback("its TOC digest is " + opened.index().tocDigest()
                        + ", not the " + expectedToc + " the image's manifest says");
            }
            long indexReady = System.nanoTime();
            mount(image, digest, opened, labels, mountPoint);
            long mounted = System.nanoTime();
            totals.mounted(mounted - start);
            return new PrepareOutcome.Mounted(opened.index().tocDigest(), opened.index().blobSize(),
                    "index " + opened.how() + ", ready after " + millis(start, indexReady) + " ms, mounted in "
                            + millis(indexReady, mounted) + " ms");
        } catch (IllegalArgumentException e) {
            return new PrepareOutcome.Fallback("the labels name no valid layer: " + e.getMessage());
        } catch (LayerUnavailableException e) {
            return new PrepareOutcome.Fallback(e.getMessage());
        }
    }

    /**
     * Runs the lazy-pull path a few times on a tiny layer served from this process (see {@link Warmup}), so the first
     * real pull runs compiled code. Failures are logged, never thrown: warming up is an optimisation.
     */
    @Override
    public void warmUp(Path dir) {
        Warmup.run(client.config(), mountOptions, mountTimeout, dir);
    }

    @Override
    public void check(Path mountPoint, Map<String, String> labels) throws LayerUnavailableException {
        quiet.begin();
        try {
            checkLayer(mountPoint);
        } finally {
            quiet.end();
        }
    }

    private void checkLayer(Path mountPoint) throws LayerUnavailableException {
        Mounted m = mounts.get(mountPoint);
        if (m == null) {
            throw new LayerUnavailableException("nothing is mounted at " + mountPoint);
        }
        try {
            m.mount().check();
        } catch (IOException e) {
            throw new LayerUnavailableException(e.getMessage(), e);
        }
        if (m.waited().compareAndSet(false, true) && !prefetchWait.isZero()) {
            awaitQuietly(m.mount().prefetchDone(), prefetchWait);
        }
    }

    @Override
    public void restore(RemoteLayerRecord record, Map<String, String> labels) throws LayerUnavailableException {
        long start = System.nanoTime();
        try {
            ImageReference image = ImageReference.parse(record.imageRef());
            Digest digest = Digest.parse(record.layerDigest());
            LayerOpener.Opened opened = await(image, digest);
            if (!record.tocDigest().equals(opened.index().tocDigest())) {
                throw new LayerUnavailableException("its TOC digest is now " + opened.index().tocDigest()
                        + ", not the " + record.tocDigest() + " it was mounted with");
            }
            mount(image, digest, opened, labels, record.mountPoint());
            totals.mounted(System.nanoTime() - start);
        } catch (IllegalArgumentException e) {
            throw new LayerUnavailableException("its record names no valid layer: " + e.getMessage(), e);
        }
    }

    private LayerOpener.Opened await(ImageReference image, Digest digest) throws LayerUnavailableException {
        try {
            return opener.open(image, digest).get(mountTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new LayerUnavailableException("opening it took longer than " + mountTimeout.toSeconds() + " s");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() instanceof UncheckedIOException u ? u.getCause() : e.getCause();
            throw new LayerUnavailableException(Reasons.of(cause), cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LayerUnavailableException("interrupted while opening it", e);
        }
    }

    private void mount(ImageReference image, Digest digest, LayerOpener.Opened opened, Map<String, String> labels,
                       Path mountPoint) throws LayerUnavailableException {
        LayerIdentity identity = new LayerIdentity(image.toString(), digest.toString());
        LayerMount mount = null;
        try {
            mount = LayerMount.open(identity, opened.index(), opened.takeSource(client, image, digest), cache,
                    Settings.withLabels(mountOptions, labels));
            LayerTail fetched = opened.takeFetched();
            if (fetched != null) {
                mount.adopt(fetched.offset(), fetched.bytes());
            }
            mount.mount(mountPoint);
        } catch (IOException | RuntimeException e) {
            closeQuietly(mount);
            throw new LayerUnavailableException("cannot mount it: " + e.getMessage(), e);
        }
        mounts.put(mountPoint, new Mounted(mount, digest, new AtomicBoolean()));
        storeTail(digest, opened);
        LayerMount m = mount;
        m.backgroundFetchDone().thenRun(() -> persisted(m));
    }

    /** Keeps the TOC for restarts; without it a restart opens the layer from the registry again. */
    private void storeTail(Digest digest, LayerOpener.Opened opened) {
        if (tails.has(digest)) {
            return;
        }
        try {
            tails.store(digest, opened.toc());
        } catch (IOException e) {
            LOG.warn("layer {}: cannot store its TOC for restarts: {}", digest, e.getMessage());
        }
    }

    /** Once the whole layer is fetched, puts its chunks on disk and says so: from now on it needs no registry. */
    private void persisted(LayerMount m) {
        LayerProgress p = m.progress();
        if (p.fetchedBytes() < p.layerSize() || mounts.values().stream().noneMatch(x -> x.mount() == m)) {
            return;
        }
        try {
            if (cache.flush(FLUSH_TIMEOUT.toMillis())) {
                LOG.info("layer {} is fully local: {} bytes fetched, on disk", m.identity().name(), p.layerSize());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void unmount(Path mountPoint) throws IOException {
        Mounted m = mounts.remove(mountPoint);
        if (m == null) {
            Unmounter.detach(mountPoint);
            return;
        }
        try {
            m.mount().close();
        } finally {
            totals.retire(m.mount().progress());
        }
        if (mounts.values().stream().noneMatch(x -> x.digest().equals(m.digest()))) {
            tails.delete(m.digest());
        }
    }

    @Override
    public FetchProgress progress(Path mountPoint) {
        Mounted m = mounts.get(mountPoint);
        if (m == null) {
            return FetchProgress.UNKNOWN;
        }
        LayerProgress p = m.mount().progress();
        return new FetchProgress(p.fetchedBytes(), p.layerSize());
    }

    /** What the layers did since the daemon started. */
    public LayerStats stats() {
        return totals.with(mounts.values().stream().map(Mounted::mount).toList(), cache.stats(),
                client.metrics().total());
    }

    /** Unmounts every layer; their stored TOCs stay for the next start. */
    @Override
    public void close() {
        for (Path mp : List.copyOf(mounts.keySet())) {
            closeQuietly(mounts.remove(mp).mount());
        }
        opener.close();
        client.close();
        cache.close();
    }

    private static boolean awaitQuietly(CompletableFuture<Void> f, Duration timeout) {
        try {
            f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException | ExecutionException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void closeQuietly(LayerMount mount) {
        if (mount == null) {
            return;
        }
        try {
            mount.close();
        } catch (IOException e) {
            LOG.warn("layer {}: {}", mount.identity().name(), e.getMessage());
        }
    }

    private static long millis(long from, long to) {
        return (to - from) / 1_000_000;
    }
}
