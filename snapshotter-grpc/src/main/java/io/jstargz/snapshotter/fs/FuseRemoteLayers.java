package io.jstargz.snapshotter.fs;

import io.jstargz.cache.ChunkCache;
import io.jstargz.cache.ChunkCacheConfig;
import io.jstargz.cache.FreeSpaceWatermark;
import io.jstargz.concurrent.Futures;
import io.jstargz.concurrent.ThreadPools;
import io.jstargz.estargz.BlobTail;
import io.jstargz.estargz.LayerIndex;
import io.jstargz.fs.LayerIdentity;
import io.jstargz.fs.LayerMount;
import io.jstargz.fs.LayerMountOptions;
import io.jstargz.fs.LayerProgress;
import io.jstargz.fs.binding.ConnectionInbox;
import io.jstargz.fs.binding.FuseBinding;
import io.jstargz.fs.binding.OperationStats;
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
import io.jstargz.snapshotter.snapshot.LayerRequest;
import io.jstargz.snapshotter.snapshot.LayerUnavailableException;
import io.jstargz.snapshotter.snapshot.PrepareOutcome;
import io.jstargz.snapshotter.snapshot.RemoteLayerService;
import io.jstargz.text.Sizes;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lazily pulled layers, mounted and unmounted: each eStargz layer is opened ({@link LayerOpener}: its TOC, one
 * registry request, or none when {@link TocStore} keeps a copy), checked against the TOC digest its request expects,
 * and mounted with FUSE; its bytes are fetched when read. The image's other layers are started by
 * {@link NeighbourPrefetch}. Prepare and the warm-up ({@link Warmup}) take the same path, {@link #prepare}.
 *
 * <p>Prepare answers once the index is checked, and the FUSE mount finishes on a pool of its own while containerd
 * prepares the next layer: nothing reads a layer before containerd asks for the mounts of a snapshot on it, and
 * {@link #check} waits for the mount.
 */
public final class FuseRemoteLayers implements RemoteLayerService {
    private static final Logger LOG = LoggerFactory.getLogger(FuseRemoteLayers.class);
    private static final int MOUNT_THREADS = 4;
    /** How long the FUSE requests being served may take to finish when a layer is handed over. */
    private static final Duration HANDOVER_TIMEOUT = Duration.ofSeconds(30);

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
    private final TocStore tocs;
    private final KeptConnections connections;
    private final LayerOpener opener;
    private final NeighbourPrefetch neighbours;
    private final ImageLayers images = new ImageLayers(this::mountedLayer);
    /** Null when {@code fetch.shared_libraries} is off. */
    private final SharedLibraries libraries;
    private final LayerMountOptions mountOptions;
    private final QuietPeriod quiet;
    private final Duration mountTimeout;
    private final Duration prefetchWait;
    /** Index entries the heap is sized for ({@code memory.index_entries}). */
    private final long indexEntries;
    private final AtomicBoolean overBudget = new AtomicBoolean();
    private final Map<Path, Mounted> mounts = new ConcurrentHashMap<>();
    private final FetchTotals totals = new FetchTotals();
    private final ExecutorService mountPool = ThreadPools.bounded("jstargz-mount", MOUNT_THREADS);

    /** The layers' service over these parts, which it owns from here on (closing it closes them). */
    FuseRemoteLayers(RegistryClient client, ChunkCache cache, TocStore tocs, KeptConnections connections,
                     LayerMountOptions mountOptions, Duration mountTimeout, Duration prefetchWait,
                     QuietPeriod quiet, long indexEntries, boolean sharedLibraries) {
        this.client = client;
        this.cache = cache;
        this.tocs = tocs;
        this.connections = connections;
        this.opener = new LayerOpener(client, tocs, indexEntries);
        this.neighbours = new NeighbourPrefetch(opener, this::mountObject, mountPool);
        this.libraries = sharedLibraries ? new SharedLibraries(images) : null;
        this.indexEntries = indexEntries;
        this.quiet = quiet;
        this.mountOptions = mountOptions.toBuilder().backgroundGate(quiet).build();
        this.mountTimeout = mountTimeout;
        this.prefetchWait = prefetchWait;
    }

    /**
     * The service {@code config} describes: its registry settings, chunk cache and fetch policy. Credentials come
     * from {@code credentials} first (e.g. the CRI keychain), in order, then from the docker config. The connections
     * systemd hands back and those {@code handedOver} by a daemon this one takes over from are adopted by
     * {@link #restore}.
     */
    public static FuseRemoteLayers create(Config config, List<CredentialStore> credentials,
                                          List<ConnectionInbox.Notification> handedOver) throws IOException {
        // the chunk cache's disk writes wait for the quiet period, as background fetches do
        QuietPeriod quiet = new QuietPeriod(Duration.ofSeconds(config.fetch().backgroundQuietSeconds()));
        ChunkCache cache = ChunkCache.open(new ChunkCacheConfig(config.cacheDir(), config.cache().maxMemoryBytes(),
                config.cache().maxDiskBytes(), ChunkCacheConfig.DEFAULT_SHARD_WIDTH, MemoryBudget.WRITE_QUEUE_BYTES,
                new FreeSpaceWatermark(config.cache().minFreeBytes(), config.cache().minFreePercent())), quiet);
        RegistryConfig registry = Settings.registry(config);
        List<CredentialStore> stores = new ArrayList<>(credentials);
        stores.add(RegistryClient.dockerConfigCredentials(registry));
        RegistryClient client = RegistryClient.create(registry, CredentialStore.firstOf(stores));
        try {
            // copies a previous run left: each mount makes its own again
            FileTrees.removeTree(Settings.passthroughDir(config));
            return new FuseRemoteLayers(client, cache, new TocStore(config.root().resolve("layers")),
                    KeptConnections.of(System.getenv(), handedOver), Settings.mountOptions(config),
                    Duration.ofSeconds(config.fuse().mountTimeoutSeconds()),
                    Duration.ofSeconds(config.fetch().prefetchWaitSeconds()),
                    quiet, config.memory().indexEntries(),
                    config.fetch().sharedLibraries());
        } catch (IOException | RuntimeException e) {
            client.close();
            cache.close();
            throw e;
        }
    }

    @Override
    public void keepFreeSpace() {
        cache.keepFreeSpace();
    }

    @Override
    public Optional<String> degraded() {
        long lacking = cache.keepFreeSpace();
        return lacking == 0 ? Optional.empty() : Optional.of("the chunk cache's filesystem lacks "
                + Sizes.human(lacking) + " to keep its free space watermark (cache.min_free_bytes,"
                + " cache.min_free_percent), and the cache holds nothing more to give back");
    }

    @Override
    public String fuseBinding() {
        return mountOptions.binding().name();
    }

    /** The FUSE binding serving the layers. */
    public FuseBinding binding() {
        return mountOptions.binding();
    }

    @Override
    public PrepareOutcome prepare(LayerRequest request, Path mountPoint) {
        quiet.begin();
        try {
            return prepareLayer(request, mountPoint);
        } finally {
            quiet.end();
        }
    }

    private PrepareOutcome prepareLayer(LayerRequest request, Path mountPoint) {
        long start = System.nanoTime();
        try {
            ImageReference image = ImageReference.parse(request.imageRef());
            Digest digest = Digest.parse(request.layerDigest());
            CompletableFuture<LayerOpener.Opened> opening = opener.open(image, digest);
            imageSeen(image, digest, request);
            opening.whenComplete((o, e) -> neighbours.start(image, request));
            LayerOpener.Opened opened = await(opening);
            String mismatch = tocMismatch(opened.index(), request, "the image's manifest says");
            if (mismatch != null) {
                opened.discard();
                return new PrepareOutcome.Fallback(mismatch);
            }
            long indexReady = System.nanoTime();
            CompletableFuture<LayerMount> mounting = CompletableFuture.supplyAsync(() -> {
                try {
                    return mount(image, digest, opened, request, mountPoint, Optional.empty(), start);
                } catch (IOException e) {
                    throw new CompletionException(e);
                }
            }, mountPool);
            mounts.put(mountPoint, new Mounted(mounting, digest, new AtomicBoolean()));
            String name = image.toString();
            if (images.isTop(name, digest)) {
                mounting.thenAccept(m -> AccountFiles.fetch(name, images.mounts(name, digest, m)));
            }
            return new PrepareOutcome.Mounted(opened.index().tocDigest(), opened.index().blobSize(),
                    "index " + opened.how() + ", ready after " + (indexReady - start) / 1_000_000 + " ms",
                    mounting.thenApply(m -> null));
        } catch (IllegalArgumentException e) {
            return new PrepareOutcome.Fallback("the labels name no valid layer: " + e.getMessage());
        } catch (LayerUnavailableException e) {
            return new PrepareOutcome.Fallback(e.getMessage());
        }
    }

    @Override
    public void restore(LayerRequest request, Path mountPoint) throws LayerUnavailableException {
        long start = System.nanoTime();
        try {
            ImageReference image = ImageReference.parse(request.imageRef());
            Digest digest = Digest.parse(request.layerDigest());
            CompletableFuture<LayerOpener.Opened> opening = opener.open(image, digest);
            imageSeen(image, digest, request);
            LayerOpener.Opened opened = await(opening);
            String mismatch = tocMismatch(opened.index(), request, "it was mounted with");
            if (mismatch != null) {
                throw new LayerUnavailableException(mismatch);
            }
            LayerMount m = mount(image, digest, opened, request, mountPoint, connections.take(mountPoint), start);
            mounts.put(mountPoint, new Mounted(CompletableFuture.completedFuture(m), digest, new AtomicBoolean()));
        } catch (IllegalArgumentException e) {
            throw new LayerUnavailableException("its record names no valid layer: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new LayerUnavailableException(e.getMessage(), e);
        }
    }

    /**
     * The one check of a layer's TOC: why the opened index does not have the TOC digest {@code request} expects
     * (the expected one being what {@code expectedFrom} says), or null when it may be mounted.
     */
    private static String tocMismatch(LayerIndex index, LayerRequest request, String expectedFrom) {
        return request.expectedTocDigest().filter(expected -> !expected.equals(index.tocDigest()))
                .map(expected -> "its TOC digest is " + index.tocDigest() + ", not the " + expected + " "
                        + expectedFrom)
                .orElse(null);
    }

    private LayerOpener.Opened await(CompletableFuture<LayerOpener.Opened> opening)
            throws LayerUnavailableException {
        try {
            return Futures.get(opening, mountTimeout, "opening it");
        } catch (IOException e) {
            throw new LayerUnavailableException(Reasons.of(e), e);
        }
    }

    /**
     * Mounts the opened layer at {@code mountPoint}, keeps its TOC for restarts, and counts it; the caller records it
     * in {@link #mounts}. On failure nothing stays mounted.
     *
     * @param start when opening the layer began, for the mount time
     */
    private LayerMount mount(ImageReference image, Digest digest, LayerOpener.Opened opened, LayerRequest request,
                             Path mountPoint, Optional<KeptConnections.Inherited> inherited, long start)
            throws IOException {
        LayerMount mount = null;
        Optional<KeptConnections.Inherited> unadopted = inherited;
        try {
            mount = opened.take(() -> mountObject(image, digest, opened, request));
            unadopted = Optional.empty(); // from here the connection is adopted, or closed when it cannot be
            // no stat of the new mount here, nor anywhere in this process: a thread blocked in a request to a mount
            // its own process serves cannot be killed, and a kill -9 at that moment leaves a zombie (issue 18)
            if (inherited.isEmpty() || !adopted(mount, mountPoint, inherited.get())) {
                mount.mount(mountPoint);
            }
        } catch (IOException | RuntimeException e) {
            unadopted.ifPresent(connections::close);
            closeQuietly(mount);
            throw new IOException("cannot mount it: " + e.getMessage(), e);
        }
        connections.keep(mount, mountPoint);
        tocs.keep(digest, opened.toc());
        checkBudget(mount.index().entryCount());
        totals.mounted(System.nanoTime() - start);
        return mount;
    }

    /**
     * Serves the mount a previous daemon left at {@code mountPoint} through the connection systemd handed back; false
     * (the connection closed) when it cannot be adopted, and the layer is then mounted anew.
     */
    private boolean adopted(LayerMount mount, Path mountPoint, KeptConnections.Inherited inherited) {
        try {
            mount.adopt(mountPoint, inherited.fd(), inherited.kept());
            return true;
        } catch (IOException | RuntimeException e) {
            LOG.warn("layer at {}: cannot adopt the mount a previous daemon left, mounting it again: {}", mountPoint,
                    e.getMessage());
            connections.close(inherited);
            return false;
        }
    }

    /** Remembers which layers the image has, where what a container reads first is looked for. */
    private void imageSeen(ImageReference image, Digest digest, LayerRequest request) {
        images.image(image.toString(), imageLayers(digest, request));
    }

    /** The image's layers as a Prepare of {@code digest} names them, lowest first: it, then its neighbours. */
    private static List<Digest> imageLayers(Digest digest, LayerRequest request) {
        List<Digest> layers = new ArrayList<>();
        layers.add(digest);
        for (String d : request.neighbours()) {
            try {
                layers.add(Digest.parse(d));
            } catch (IllegalArgumentException e) {
                return layers; // NeighbourPrefetch says why
            }
        }
        return layers;
    }

    /** The mount serving the layer {@code digest}, or null when none does. */
    private LayerMount mountedLayer(Digest digest) {
        for (Mounted m : mounts.values()) {
            LayerMount mount = m.digest().equals(digest) ? m.now() : null;
            if (mount != null) {
                return mount;
            }
        }
        return null;
    }

    /** A mount object for the opened layer (not mounted yet), caching what opening it fetched. */
    private LayerMount mountObject(ImageReference image, Digest digest, LayerOpener.Opened opened,
                                   LayerRequest request) throws IOException {
        LayerMountOptions.Builder b = mountOptions.toBuilder();
        request.prefetchSize().ifPresent(b::prefetchSizeDefault);
        if (libraries != null) {
            b.accessListener(libraries.listener(image.toString(), digest));
        }
        LayerMountOptions options = b.build();
        LayerMount mount = LayerMount.open(new LayerIdentity(image.toString(), digest.toString()), opened.index(),
                opened.takeSource(client, image, digest), cache, options);
        BlobTail fetched = opened.takeFetched();
        if (fetched != null) {
            mount.adopt(fetched);
        }
        return mount;
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

    /**
     * Runs the lazy-pull path a few times on a tiny layer served from this process (see {@link Warmup}), so the first
     * real pull runs compiled code. Failures are logged, never thrown: warming up is an optimisation.
     */
    @Override
    public void warmUp(Path dir) {
        Warmup.run(client.config(), mountOptions, mountTimeout, prefetchWait, dir);
    }

    @Override
    public void check(Path mountPoint) throws LayerUnavailableException {
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
            try {
                Futures.get(mount.prefetchClaimed(), prefetchWait, "the prefetch");
            } catch (IOException e) {
                // waited long enough: the prefetch goes on, and reads fetch what it has not brought yet
            }
        }
    }

    private LayerMount awaitMount(Mounted m) throws LayerUnavailableException {
        try {
            return Futures.get(m.mount(), mountTimeout, "mounting it");
        } catch (IOException e) {
            throw new LayerUnavailableException(e.getMessage(), e);
        }
    }

    @Override
    public void unmount(Path mountPoint) throws IOException {
        connections.remove(mountPoint);
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
            tocs.delete(m.digest());
        }
    }

    @Override
    public String crashSurvival() {
        return connections.survival(mountOptions.binding());
    }

    @Override
    public String upgrade() {
        return KeptConnections.upgrade(mountOptions.binding());
    }

    /**
     * Hands every mounted layer over to a daemon taking over, whose inbox is the unix socket {@code inbox}, once the
     * layers being mounted are: each mount's FUSE connection is sent there ({@link KeptConnections#handOver}) and this
     * service lets go of it without unmounting. A layer that cannot be handed over stays, and {@link #close} unmounts
     * it. Call it when nothing mounts layers any more (the gRPC socket is closed).
     *
     * @return how many layers were handed over
     */
    public int handOver(String inbox) {
        int handedOver = 0;
        for (Path mp : List.copyOf(mounts.keySet())) {
            Mounted m = mounts.get(mp);
            LayerMount mount = m == null ? null : settled(m);
            if (mount == null) {
                continue;
            }
            try {
                connections.handOver(mount, mp, inbox, HANDOVER_TIMEOUT);
                mounts.remove(mp);
                handedOver++;
            } catch (IOException | RuntimeException e) {
                LOG.warn("layer at {} is not handed over, it is unmounted as the daemon stops: {}", mp,
                        e.getMessage());
            }
        }
        return handedOver;
    }

    @Override
    public Set<Path> keptMounts() {
        return connections.inheritedMountPoints();
    }

    @Override
    public void restored() {
        connections.releaseUnclaimed();
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

    /** The FUSE requests each mounted layer is serving now, by layer digest; layers serving none are left out. */
    public Map<String, List<OperationStats.InFlight>> operationsInFlight() {
        Map<String, List<OperationStats.InFlight>> out = new TreeMap<>();
        mounts.forEach((at, m) -> {
            LayerMount mount = m.now();
            List<OperationStats.InFlight> ops = mount == null ? List.of() : mount.operationsInFlight();
            if (!ops.isEmpty()) {
                out.put(m.digest().toString(), ops);
            }
        });
        return out;
    }

    /** What the layers did since the daemon started. */
    public LayerStats stats() {
        return totals.with(mounts.values().stream().map(Mounted::now).filter(Objects::nonNull).toList(),
                cache.stats(), client.metrics());
    }

    /** Unmounts every layer, and lets systemd go of their connections; their stored TOCs stay for the next start. */
    @Override
    public void close() {
        for (Path mp : List.copyOf(mounts.keySet())) {
            connections.remove(mp);
            Mounted m = mounts.remove(mp);
            if (m != null) {
                closeQuietly(settled(m));
            }
        }
        mountPool.shutdown();
        if (libraries != null) {
            libraries.close();
        }
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
}
