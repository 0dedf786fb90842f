package io.jstargz.snapshotter.fs;

import io.jstargz.cache.ChunkCache;
import io.jstargz.cache.ChunkCacheConfig;
import io.jstargz.concurrent.ThreadPools;
import io.jstargz.estargz.BlobTail;
import io.jstargz.fs.LayerIdentity;
import io.jstargz.fs.LayerMount;
import io.jstargz.fs.LayerMountOptions;
import io.jstargz.fs.LayerProgress;
import io.jstargz.mount.FileTrees;
import io.jstargz.mount.Unmounter;
import io.jstargz.remote.Digest;
import io.jstargz.remote.ImageReference;
import io.jstargz.remote.RegistryClient;
import io.jstargz.remote.RegistryConfig;
import io.jstargz.remote.auth.CredentialStore;
import io.jstargz.snapshotter.config.Config;
import io.jstargz.snapshotter.config.MemoryBudget;
import io.jstargz.snapshotter.snapshot.FetchProgress;
import io.jstargz.snapshotter.snapshot.LayerSource;
import io.jstargz.snapshotter.snapshot.LayerUnavailableException;
import io.jstargz.snapshotter.snapshot.PrepareOutcome;
import io.jstargz.snapshotter.snapshot.RemoteLayerRecord;
import io.jstargz.snapshotter.snapshot.RemoteLayerService;
import io.jstargz.snapshotter.snapshot.SnapshotRef;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
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
    private static final int MOUNT_THREADS = 4;
    private static final Duration STAGED_TTL = Duration.ofSeconds(60);

    /**
     * A layer mounted, or being mounted, at a mount point. {@code waited} turns true at its first check, which may
     * wait for its prefetch.
     */
    private record Mounted(CompletableFuture<LayerMount> mount, Digest digest, AtomicBoolean waited) {
        /** The mount, once it serves; null while mounting or when mounting failed. */
        LayerMount now() {
            return mount.isDone() && !mount.isCompletedExceptionally() ? mount.join() : null;
        }
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
    /** Index entries the heap is sized for ({@code memory.index_entries}). */
    private final long indexEntries;
    private final AtomicBoolean overBudget = new AtomicBoolean();
    private final Map<Path, Mounted> mounts = new ConcurrentHashMap<>();
    private final FetchTotals totals = new FetchTotals();
    private final ExecutorService mountPool = ThreadPools.bounded("jstargz-mount", MOUNT_THREADS);

    FuseRemoteLayers(RegistryClient client, ChunkCache cache, LayerTails tails, LayerMountOptions mountOptions,
                     Verification verification, Duration mountTimeout, Duration prefetchWait,
                     Duration backgroundQuiet, long indexEntries) {
        this.client = client;
        this.cache = cache;
        this.tails = tails;
        this.opener = new LayerOpener(client, tails, indexEntries);
        this.indexEntries = indexEntries;
        this.quiet = new QuietPeriod(backgroundQuiet);
        this.mountOptions = mountOptions.toBuilder().backgroundGate(quiet).build();
        this.verification = verification;
        this.mountTimeout = mountTimeout;
        this.prefetchWait = prefetchWait;
    }

    /**
     * The service {@code config} describes: its registry settings, chunk cache and fetch policy. Credentials come
     * from {@code credentials} first (e.g. the CRI keychain), in order, then from the docker config.
     */
    public static FuseRemoteLayers create(Config config, List<CredentialStore> credentials) throws IOException {
        ChunkCache cache = ChunkCache.open(new ChunkCacheConfig(config.cacheDir(), config.cache().maxMemoryBytes(),
                config.cache().maxDiskBytes(), ChunkCacheConfig.DEFAULT_SHARD_WIDTH, MemoryBudget.WRITE_QUEUE_BYTES));
        RegistryConfig registry = Settings.registry(config);
        List<CredentialStore> stores = new ArrayList<>(credentials);
        stores.add(RegistryClient.dockerConfigCredentials(registry));
        RegistryClient client = RegistryClient.create(registry, CredentialStore.firstOf(stores));
        try {
            // copies a previous run left: each mount makes its own again
            FileTrees.removeTree(Settings.passthroughDir(config));
            return new FuseRemoteLayers(client, cache, new LayerTails(config.root().resolve("layers")),
                    Settings.mountOptions(config), new Verification(config.allowNoVerification()),
                    Duration.ofSeconds(config.fuse().mountTimeoutSeconds()),
                    Duration.ofSeconds(config.fetch().prefetchWaitSeconds()),
                    Duration.ofSeconds(config.fetch().backgroundQuietSeconds()), config.memory().indexEntries());
        } catch (IOException | RuntimeException e) {
            client.close();
            cache.close();
            throw e;
        }
    }

    @Override
    public String fuseBinding() {
        return mountOptions.binding().name();
    }

    @Override
    public void prefetchNeighbours(LayerSource source, Map<String, String> labels) {
        if (verification.refusal(labels) != null || source.neighbours().isEmpty()) {
            return; // a layer that will not be mounted says nothing good about its neighbours
        }
        try {
            ImageReference image = ImageReference.parse(source.imageRef());
            for (String d : source.neighbours()) {
                Digest digest = Digest.parse(d);
                opener.open(image, digest).thenAcceptAsync(o -> stage(image, digest, o, labels), mountPool);
            }
        } catch (IllegalArgumentException e) {
            LOG.debug("not resolving the neighbours of {}: {}", source.layerDigest(), e.getMessage());
        }
    }

    /** Starts the prefetch of a layer whose Prepare will come: the reference snapshotter prefetches neighbours too. */
    private void stage(ImageReference image, Digest digest, LayerOpener.Opened opened, Map<String, String> labels) {
        try {
            opened.stage(() -> {
                LayerMount m = mountObject(image, digest, opened, labels);
                m.startFetching();
                return m;
            });
            // a staged layer whose Prepare never comes (a pull abandoned) must not go on fetching
            CompletableFuture.delayedExecutor(STAGED_TTL.toSeconds(), TimeUnit.SECONDS, mountPool)
                    .execute(opened::discard);
        } catch (IOException | RuntimeException e) {
            LOG.debug("layer {}: not prefetched ahead of its Prepare: {}", digest, e.getMessage());
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
                opened.discard();
                return new PrepareOutcome.Fallback("its TOC digest is " + opened.index().tocDigest()
                        + ", not the " + expectedToc + " the image's manifest says");
            }
            long indexReady = System.nanoTime();
            // containerd reads nothing of the layer before it asks for mounts, which wait for this: mounting goes on
            // while containerd prepares the next layer
            CompletableFuture<LayerMount> mounting = CompletableFuture.supplyAsync(() -> {
                try {
                    LayerMount m = mount(image, digest, opened, labels, mountPoint);
                    totals.mounted(System.nanoTime() - start);
                    return m;
                } catch (LayerUnavailableException e) {
                    throw new CompletionException(e);
                }
            }, mountPool);
            mounts.put(mountPoint, new Mounted(mounting, digest, new AtomicBoolean()));
            return new PrepareOutcome.Mounted(opened.index().tocDigest(), opened.index().blobSize(),
                    "index " + opened.how() + ", ready after " + millis(start, indexReady) + " ms",
                    mounting.thenApply(m -> null));
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
        LayerMount mount = awaitMount(m);
        try {
            mount.check();
        } catch (IOException e) {
            throw new LayerUnavailableException(e.getMessage(), e);
        }
        if (m.waited().compareAndSet(false, true) && !prefetchWait.isZero()) {
            awaitQuietly(mount.prefetchDone(), prefetchWait);
        }
    }

    private LayerMount awaitMount(Mounted m) throws LayerUnavailableException {
        try {
            return m.mount().get(mountTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new LayerUnavailableException("mounting it took longer than " + mountTimeout.toSeconds() + " s");
        } catch (ExecutionException e) {
            throw new LayerUnavailableException(e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LayerUnavailableException("interrupted while it was being mounted", e);
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
            LayerMount m = mount(image, digest, opened, labels, record.mountPoint());
            totals.mounted(System.nanoTime() - start);
            mounts.put(record.mountPoint(), new Mounted(CompletableFuture.completedFuture(m), digest,
                    new AtomicBoolean()));
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

    /** Mounts the opened layer at {@code mountPoint}; the caller records it in {@link #mounts}. */
    private LayerMount mount(ImageReference image, Digest digest, LayerOpener.Opened opened,
                             Map<String, String> labels, Path mountPoint) throws LayerUnavailableException {
        LayerMount mount = null;
        try {
            mount = opened.take(() -> mountObject(image, digest, opened, labels));
            mount.mount(mountPoint);
            // the first request to a new FUSE mount costs milliseconds (threads start in the FUSE binding): pay it
            // now, before a container's first lookups, and let the kernel cache the root's attributes
            Files.readAttributes(mountPoint, BasicFileAttributes.class);
        } catch (IOException | RuntimeException e) {
            closeQuietly(mount);
            throw new LayerUnavailableException("cannot mount it: " + e.getMessage(), e);
        }
        storeTail(digest, opened);
        checkBudget(mount.index().entryCount());
        LayerMount m = mount;
        m.backgroundFetchDone().thenRun(() -> persisted(m));
        return m;
    }

    /**
     * Warns once when the mounted layers hold more index entries than the heap is sized for: more mounts may then
     * run the daemon out of memory.
     */
    private void checkBudget(long justMounted) {
        long held = justMounted + mounts.values().stream().map(Mounted::now).filter(Objects::nonNull)
                .mapToLong(m -> m.index().entryCount()).sum();
        if (held <= indexEntries) {
            overBudget.set(false);
        } else if (overBudget.compareAndSet(false, true)) {
            LOG.warn("memory: the mounted layers hold {} index entries, more than the {} the heap is sized for: raise "
                    + "memory.index_entries (docs/configuration.md) before mounting more", held, indexEntries);
        }
    }

    /** A mount object for the opened layer (not mounted yet), caching what opening it fetched. */
    private LayerMount mountObject(ImageReference image, Digest digest, LayerOpener.Opened opened,
                                   Map<String, String> labels) throws IOException {
        LayerMount mount = LayerMount.open(new LayerIdentity(image.toString(), digest.toString()), opened.index(),
                opened.takeSource(client, image, digest), cache, Settings.withLabels(mountOptions, labels));
        BlobTail fetched = opened.takeFetched();
        if (fetched != null) {
            mount.adopt(fetched);
        }
        return mount;
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
        if (p.backgroundFetch() != LayerProgress.Phase.DONE || p.fetchedBytes() < p.layerSize()) {
            return; // stopped (unmounted, or never mounted) before it was all fetched
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
        LayerMount mount = settled(m);
        if (mount != null) {
            try {
                mount.close();
            } finally {
                totals.retire(mount);
            }
        }
        if (mounts.values().stream().noneMatch(x -> x.digest().equals(m.digest()))) {
            tails.delete(m.digest());
        }
    }

    @Override
    public FetchProgress progress(Path mountPoint) {
        Mounted m = mounts.get(mountPoint);
        LayerMount mount = m == null ? null : m.now();
        if (mount == null) {
            return FetchProgress.UNKNOWN;
        }
        LayerProgress p = mount.progress();
        return new FetchProgress(p.fetchedBytes(), p.layerSize());
    }

    /** What the layers did since the daemon started. */
    public LayerStats stats() {
        return totals.with(mounts.values().stream().map(Mounted::now).filter(Objects::nonNull).toList(),
                cache.stats(), client.metrics().total());
    }

    /** Unmounts every layer; their stored TOCs stay for the next start. */
    @Override
    public void close() {
        for (Path mp : List.copyOf(mounts.keySet())) {
            Mounted m = mounts.remove(mp);
            if (m != null) {
                closeQuietly(settled(m));
            }
        }
        mountPool.shutdown();
        opener.close();
        client.close();
        cache.close();
    }

    /** The layer's mount once its mounting has finished (waiting for that), or null if it failed. */
    private LayerMount settled(Mounted m) {
        try {
            return awaitMount(m);
        } catch (LayerUnavailableException e) {
            return null; // nothing was mounted, or it is left to the mount timeout's own cleanup
        }
    }

    private static void awaitQuietly(CompletableFuture<Void> f, Duration timeout) {
        try {
            f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            // waited long enough: the prefetch goes on, and reads fetch what it has not brought yet
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
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
