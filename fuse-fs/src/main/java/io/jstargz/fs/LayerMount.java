package io.jstargz.fs;

import io.jstargz.cache.ChunkCache;
import io.jstargz.concurrent.ThreadPools;
import io.jstargz.concurrent.Threads;
import io.jstargz.estargz.BlobTail;
import io.jstargz.estargz.ChunkVerificationException;
import io.jstargz.estargz.Entry;
import io.jstargz.estargz.EstargzReader;
import io.jstargz.estargz.InvalidBlobException;
import io.jstargz.estargz.LayerIndex;
import io.jstargz.estargz.OpenOptions;
import io.jstargz.estargz.RemoteBlob;
import io.jstargz.fs.LayerProgress.Phase;
import io.jstargz.fs.binding.FilesystemOps;
import io.jstargz.fs.binding.InodeOps;
import io.jstargz.fs.binding.KeptConnection;
import io.jstargz.fs.binding.MountHandle;
import io.jstargz.fs.binding.OperationStats;
import io.jstargz.fs.binding.PathAddressedOps;
import io.jstargz.fs.binding.TracingInodeOps;
import io.jstargz.metrics.LatencyHistogram;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One eStargz layer, lazily served at a mount point: what the snapshotter and {@code jstargz mount} use.
 *
 * <p>{@link #open} reads the layer's index (footer and TOC, one read of the blob's tail when the TOC fits).
 * {@link #mount} mounts it read-only with FUSE and starts fetching: the prioritized region in one request, then the
 * rest of the layer in the background, both yielding to reads. {@link #progress} tells how far that got;
 * {@link #check} whether the layer can serve reads; {@link #close} unmounts it and stops everything.
 */
public final class LayerMount implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(LayerMount.class);
    private static final Duration UNMOUNT_TIMEOUT = Duration.ofSeconds(10);
    /**
     * How long closing waits for fetches in flight to end. A request already sent is not cancelled by closing the
     * blob, so this bounds how much a stalled registry can delay an unmount.
     */
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration FLUSH_TIMEOUT = Duration.ofSeconds(60);
    private static final int COPY_THREADS = 2;
    /** Spans the prefetch inflates and verifies at once: one per core, at most four ({@link Prefetcher}). */
    private static final int PREFETCH_DECODERS = Math.min(4, Runtime.getRuntime().availableProcessors());

    private final LayerIdentity identity;
    private final KeptTailBlob blob;
    private final LayerIndex index;
    private final LayerMountOptions options;
    private final ChunkCache cache;
    private final SpanStore store;
    private final FetchCounters counters = new FetchCounters();
    private final DemandGate gate = new DemandGate();
    private final ThreadPoolExecutor fetchPool;
    private final ChunkFetcher fetcher;
    private final ExecutorService taskPool;
    /**
     * Makes the local copies for passthrough: bounded, as each copy holds a buffer of a megabyte (on the task pool,
     * 16 readers opening 700 files of 20 layers started 136 copying threads).
     */
    private final ThreadPoolExecutor copyPool;
    /** The background fetch's workers, at the lowest CPU priority: a container starting beside them goes first. */
    private final ThreadPoolExecutor backgroundPool;
    private final LayerFilesystem filesystem;
    private final FileCopies copies;
    private final BackgroundFetcher background;
    private final CompletableFuture<Void> prefetchDone = new CompletableFuture<>();
    private final CompletableFuture<Void> prefetchClaimed = new CompletableFuture<>();
    private final CompletableFuture<Void> backgroundDone = new CompletableFuture<>();
    private volatile MountHandle handle;
    private volatile BlobTail alreadyFetched;
    private volatile boolean closed;
    private boolean fetching;

    private LayerMount(LayerIdentity identity, RemoteBlob blob, LayerIndex index, ChunkCache cache,
                       LayerMountOptions options) {
        this.identity = identity;
        this.blob = new KeptTailBlob(blob);
        this.index = index;
        this.options = options;
        String name = identity.name();
        this.cache = cache;
        this.store = new SpanStore(new SpanTable(index), index.decoder(), cache);
        this.fetchPool = ThreadPools.bounded("jstargz-fetch-" + identity.shortName(), options.fetchThreads());
        this.taskPool = Executors.newCachedThreadPool(Threads.named("jstargz-fill-" + identity.shortName()));
        this.backgroundPool = ThreadPools.background("jstargz-background-" + identity.shortName(),
                options.backgroundWorkers());
        this.fetcher = new ChunkFetcher(name, store, cache, this.blob, fetchPool, options.readTimeout(),
                options.neighbourBytes(), gate, options.fetchMemory(), counters);
        this.copyPool = ThreadPools.background("jstargz-copy-" + identity.shortName(), COPY_THREADS);
        this.copies = options.passthroughDir() == null ? null
                : new FileCopies(options.passthroughDir(), identity.shortName(), fetcher, store, copyPool,
                        options.backgroundGate());
        this.filesystem = new LayerFilesystem(index, fetcher, counters, options.accessListener(), copies);
        this.background = new BackgroundFetcher(name, store, this.blob, gate, options.backgroundGate(),
                options.fetchMemory(), counters);
        counters.prefetch = options.prefetch() ? Phase.PENDING : Phase.DISABLED;
        counters.backgroundFetch = options.backgroundFetch() ? Phase.PENDING : Phase.DISABLED;
    }

    /**
     * Opens a layer: reads its index. On success the mount owns {@code blob} and closes it in {@link #close}; on
     * failure the caller still owns it.
     *
     * @throws io.jstargz.estargz.InvalidBlobException if the blob is not eStargz
     * @throws IOException                             if the blob cannot be read
     */
    public static LayerMount open(LayerIdentity identity, RemoteBlob blob, ChunkCache cache,
                                  LayerMountOptions options) throws IOException {
        LayerIndex index = EstargzReader.open(blob, OpenOptions.defaults(identity.name()));
        return new LayerMount(identity, blob, index, cache, options);
    }

    /**
     * A layer whose index was already read, and checked as the caller wanted (against the TOC digest its manifest
     * gives, say): no request is made here. The mount owns {@code blob} and closes it in {@link #close}.
     *
     * @throws IllegalArgumentException if {@code blob} is not the size the index says
     */
    public static LayerMount open(LayerIdentity identity, LayerIndex index, RemoteBlob blob, ChunkCache cache,
                                  LayerMountOptions options) throws IOException {
        if (blob.size() != index.blobSize()) {
            throw new IllegalArgumentException("layer " + identity.name() + ": the blob is " + blob.size()
                    + " bytes, its index says " + index.blobSize());
        }
        return new LayerMount(identity, blob, index, cache, options);
    }

    public LayerIdentity identity() {
        return identity;
    }

    public LayerIndex index() {
        return index;
    }

    /** The filesystem operations by path, without FUSE (tests, tools). */
    public FilesystemOps filesystem() {
        return new PathAddressedOps(filesystem);
    }

    /**
     * Mounts the layer at {@code mountPoint} (an existing empty directory), waits until the kernel serves it, then
     * starts the prefetch and the background fetch.
     *
     * @throws IOException if it cannot be mounted within the mount timeout; nothing is left mounted then
     */
    public synchronized void mount(Path mountPoint) throws IOException {
        if (closed || handle != null) {
            throw new IllegalStateException("layer " + identity.name() + " is " + (closed ? "closed" : "mounted"));
        }
        MountHandle h = options.binding().mount(mountPoint, ops(), options.mountOptions(identity.fsName()));
        h.awaitMounted(options.mountTimeout());
        serving(h, "mounted");
    }

    /**
     * Serves the layer at {@code mountPoint}, where a previous process mounted it and kept its connection
     * ({@link #keep}); {@code fd} is that connection, received by this process. Then starts fetching, as
     * {@link #mount} does.
     *
     * @throws IOException if the mount is not there or the binding cannot adopt it
     */
    public synchronized void adopt(Path mountPoint, int fd, KeptConnection kept) throws IOException {
        if (closed || handle != null) {
            throw new IllegalStateException("layer " + identity.name() + " is " + (closed ? "closed" : "mounted"));
        }
        serving(options.binding().adopt(mountPoint, fd, kept, ops(), options.mountOptions(identity.fsName())),
                "adopted");
    }

    /**
     * Keeps the mount's connection with a keeper outside this process, under {@code label}
     * ({@link MountHandle#keep}): the mount then outlives this process.
     */
    public KeptConnection keep(String keeperSocket, String label) throws IOException {
        MountHandle h = handle;
        if (h == null) {
            throw new IOException("layer " + identity.name() + " is not mounted");
        }
        return h.keep(keeperSocket, label);
    }

    /**
     * Hands the mount over to a process taking over ({@link MountHandle#handOver}), under {@code label}, then stops
     * fetching and closes the blob as {@link #close} does, but leaves the layer mounted. If the handover fails, the
     * layer goes on serving here.
     */
    public synchronized KeptConnection handOver(String inboxSocket, String label, Duration timeout)
            throws IOException {
        MountHandle h = handle;
        if (h == null || closed) {
            throw new IOException("layer " + identity.name() + " is " + (closed ? "closed" : "not mounted"));
        }
        KeptConnection kept = h.handOver(inboxSocket, label, timeout);
        closed = true;
        background.stop();
        release(null);
        return kept;
    }

    private InodeOps ops() {
        return options.debug() ? new TracingInodeOps(filesystem, identity.name()) : filesystem;
    }

    private void serving(MountHandle h, String how) {
        handle = h;
        log.info("layer {} {} at {} ({} entries, {} bytes)", identity.name(), how, h.mountPoint(),
                index.entryCount(), index.blobSize());
        startFetching();
    }

    /**
     * Starts the prefetch, then the background fetch, now rather than at {@link #mount} (a snapshotter prefetches an
     * image's other layers while containerd is still preparing the first). Fetching starts once; closing stops it.
     */
    public synchronized void startFetching() {
        if (fetching || closed) {
            return;
        }
        fetching = true;
        taskPool.execute(this::fetchAll);
    }

    /**
     * Bytes of the blob fetched before the mount (the read of the blob's tail that opened the index brings file data
     * too, all of a small layer): once fetching starts, the spans they hold whole are verified and cached first, so
     * no fetch asks for them again. Call before {@link #mount} and {@link #startFetching}.
     */
    public synchronized void adopt(BlobTail fetched) {
        if (fetching || closed) {
            throw new IllegalStateException("layer " + identity.name() + ": adopt fetched bytes before fetching");
        }
        alreadyFetched = fetched;
        SpanTable table = store.table();
        int after = table.firstSpanAtOrAfter(fetched.offset());
        if (after > 0 && table.end(after - 1) > fetched.offset()) { // the span the tail cuts: keep its part
            blob.keep(fetched.offset(), fetched.slice(fetched.offset(),
                    (int) (Math.min(table.end(after - 1), fetched.blobSize()) - fetched.offset())));
        }
    }

    /**
     * Up to {@code length} bytes of {@code file} (an entry of {@link #index}) at {@code offset}, as a read through the
     * mount gets them: from the cache, or fetched and verified.
     *
     * @throws IOException naming the layer, file and offset when a chunk cannot be fetched or does not verify
     */
    public byte[] read(Entry file, long offset, int length) throws IOException {
        byte[] out = new byte[(int) Math.max(0, Math.min(length, file.size() - offset))];
        int n = fetcher.read(file, offset, out.length, (at, src, from, len) -> System.arraycopy(src, from, out, at,
                len));
        return n == out.length ? out : Arrays.copyOf(out, n);
    }

    /**
     * Starts fetching the first chunk of each of {@code files} (entries of {@link #index}) that is not local, in one
     * request; returns at once.
     */
    public void fetchAhead(List<Entry> files) {
        fetcher.fetchAhead(files);
    }

    /**
     * The local copy of the regular file at {@code path} that opens pass through to (made now if it is not yet);
     * fails if passthrough is off or some chunk of the file is not local. For tests and benchmarks.
     */
    public CompletableFuture<Path> passthroughCopy(String path) {
        Entry e = index.lookup(path).orElse(null);
        if (copies == null || e == null || !e.isRegular()) {
            return CompletableFuture.failedFuture(new IOException("layer " + identity.name() + ": no local copy of \""
                    + path + "\"" + (copies == null ? " (passthrough is off)" : " (not a regular file)")));
        }
        return copies.copy(e);
    }

    /** Where the layer is mounted, or null before {@link #mount}. */
    public Path mountPoint() {
        MountHandle h = handle;
        return h == null ? null : h.mountPoint();
    }

    /** Completes when the mount is gone (unmounted by {@link #close} or from outside); never if never mounted. */
    public CompletableFuture<Void> unmounted() {
        MountHandle h = handle;
        return h == null ? new CompletableFuture<>() : h.unmounted();
    }

    /** Completes (normally, whatever the outcome; see {@link #progress}) when the prefetch has finished. */
    public CompletableFuture<Void> prefetchDone() {
        return prefetchDone;
    }

    /**
     * Completes (normally, whatever the outcome) when the prefetch has claimed every span it has yet to bring, or has
     * finished: from then on a read of the prefetch's region waits for the prefetch's stream, or finds its chunks
     * cached, and fetches none of them again. (A container that starts then overlaps its start with the stream's last
     * {@link Prefetcher#WINDOW} bytes, where waiting for {@link #prefetchDone} would not.)
     */
    public CompletableFuture<Void> prefetchClaimed() {
        return prefetchClaimed;
    }

    /** Completes (normally, whatever the outcome) when the background fetch has finished. */
    public CompletableFuture<Void> backgroundFetchDone() {
        return backgroundDone;
    }

    /** How much of the layer is local, and what fetched it. */
    public LayerProgress progress() {
        long notInSpans = index.blobSize() - store.table().spanBytes();
        return new LayerProgress(index.blobSize(), notInSpans + store.coveredBytes(), counters.prefetchSize,
                counters.prefetch, counters.backgroundFetch, counters.onDemandBytes.sum(),
                counters.neighbourBytes.sum(), counters.prefetchedBytes.sum(), counters.backgroundBytes.sum(),
                counters.requests.sum(), counters.failedReads.sum());
    }

    /** The FUSE requests the mount is serving now, longest first; empty when it is not mounted. */
    public List<OperationStats.InFlight> operationsInFlight() {
        MountHandle h = handle;
        return h == null ? List.of() : h.operations().inFlight();
    }

    /** How long the fetches for reads that missed the cache took. */
    public LatencyHistogram.Snapshot onDemandFetchLatency() {
        return counters.onDemandFetches.snapshot();
    }

    /**
     * The FUSE requests the mount has served, by operation, with the time spent handling them; empty before
     * {@link #mount}, kept after {@link #close}.
     */
    public Map<String, OperationStats.Totals> operations() {
        MountHandle h = handle;
        return h == null ? Map.of() : h.operations().totals();
    }

    /**
     * Checks that the layer can serve reads: it is mounted and its FUSE server runs, and unless the whole layer is
     * cached, its registry answers (free when a request succeeded recently). A registry that does not answer is
     * fine when the cache turns out to hold the whole layer (after a restart, the cache is only looked at then).
     *
     * @throws IOException saying what is wrong
     */
    public void check() throws IOException {
        MountHandle h = handle;
        if (closed) {
            throw new IOException("layer " + identity.name() + " is closed");
        }
        if (h == null || !h.isMounted()) {
            throw new IOException("layer " + identity.name() + " is not mounted"
                    + (h == null ? "" : " at " + h.mountPoint() + ": its FUSE server stopped"));
        }
        LayerProgress p = progress();
        if (p.fetchedBytes() < p.layerSize()) {
            try {
                blob.check();
            } catch (IOException e) {
                if (!allCached()) {
                    throw e;
                }
            }
        }
    }

    /** Whether every span is cached, finding out for those not known to be (after a restart nothing is known). */
    private boolean allCached() {
        for (int s = 0; s < store.table().spanCount(); s++) {
            if (!store.isCached(s)) {
                return false;
            }
        }
        return true;
    }

    /** Unmounts the layer, stops fetching and closes the blob. Closing twice is harmless. */
    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        background.stop();
        IOException failure = null;
        MountHandle h = handle;
        if (h != null) {
            try {
                h.unmount(UNMOUNT_TIMEOUT);
                log.info("layer {} unmounted from {}", identity.name(), h.mountPoint());
            } catch (IOException e) {
                failure = e;
            }
        }
        release(failure);
    }

    /** Stops fetching and closes the blob; throws {@code failure}, or what closing failed with. */
    private void release(IOException failure) throws IOException {
        taskPool.shutdownNow();
        fetchPool.shutdownNow();
        backgroundPool.shutdownNow();
        copyPool.shutdownNow();
        if (copies != null) {
            copies.close();
        }
        markStopped();
        try {
            blob.close();
        } catch (IOException e) {
            if (failure == null) {
                failure = e;
            }
        }
        awaitStopped();
        if (failure != null) {
            throw failure;
        }
    }

    /**
     * Waits, with a bound, for the threads that fetch: a fetch in flight ends once the blob is closed under it, and
     * one that ends after the mount is closed would still write its chunks to the cache.
     */
    private void awaitStopped() {
        long deadline = System.nanoTime() + STOP_TIMEOUT.toNanos();
        try {
            for (ExecutorService pool : List.of(taskPool, fetchPool, backgroundPool, copyPool)) {
                if (!pool.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    log.warn("layer {}: a fetch still runs {} s after close; its chunks may still be cached",
                            identity.name(), STOP_TIMEOUT.toSeconds());
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void markStopped() {
        if (counters.prefetch == Phase.RUNNING || counters.prefetch == Phase.PENDING) {
            counters.prefetch = Phase.STOPPED;
        }
        if (counters.backgroundFetch == Phase.RUNNING || counters.backgroundFetch == Phase.PENDING) {
            counters.backgroundFetch = Phase.STOPPED;
        }
        prefetchClaimed.complete(null);
        prefetchDone.complete(null);
        backgroundDone.complete(null);
    }

    /** The prefetch, then the background fetch. */
    private void fetchAll() {
        adoptFetched();
        try {
            prefetch();
        } finally {
            prefetchClaimed.complete(null);
            prefetchDone.complete(null);
        }
        if (!options.backgroundFetch() || closed) {
            backgroundDone.complete(null);
            return;
        }
        counters.backgroundFetch = Phase.RUNNING;
        List<CompletableFuture<Void>> workers = new ArrayList<>();
        try {
            for (int i = 0; i < options.backgroundWorkers(); i++) {
                workers.add(CompletableFuture.runAsync(this::backgroundWorker, backgroundPool));
            }
        } catch (RejectedExecutionException closing) {
            backgroundDone.complete(null);
            return;
        }
        CompletableFuture.allOf(workers.toArray(CompletableFuture[]::new)).whenComplete((v, e) -> {
            if (counters.backgroundFetch == Phase.RUNNING) {
                counters.backgroundFetch = e == null ? Phase.DONE : Phase.FAILED;
                log.info("layer {}: background fetch {}: {}% of the layer is local", identity.name(),
                        e == null ? "done" : "failed", Math.round(progress().fetchedPercent()));
            }
            backgroundDone.complete(null);
            persistIfAllFetched();
        });
    }

    /** Once the whole layer is fetched, puts its chunks on disk and says so: from now on it needs no registry. */
    private void persistIfAllFetched() {
        LayerProgress p = progress();
        if (p.backgroundFetch() != Phase.DONE || p.fetchedBytes() < p.layerSize()) {
            return; // stopped (unmounted) before it was all fetched
        }
        try {
            if (cache.flush(FLUSH_TIMEOUT.toMillis())) {
                log.info("layer {} is fully local: {} bytes fetched, on disk", identity.name(), p.layerSize());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void adoptFetched() {
        BlobTail f = alreadyFetched;
        alreadyFetched = null;
        if (f == null) {
            return;
        }
        SpanTable table = store.table();
        long end = f.offset() + f.bytes().length;
        for (int s = table.firstSpanAtOrAfter(f.offset()); s < table.spanCount() && table.end(s) <= end; s++) {
            CompletableFuture<byte[][]> claim = store.claimIfFree(s);
            if (claim != null) {
                try {
                    store.complete(s, claim, f.bytes(), (int) (table.start(s) - f.offset()), (int) table.length(s));
                } catch (ChunkVerificationException | RuntimeException e) {
                    log.warn("{} (fetching it again when needed)", e.getMessage());
                }
            }
        }
    }

    private void prefetch() {
        long end = switch (index.landmark()) {
            case PREFETCH -> index.prefetchEnd().orElse(0);
            case NO_PREFETCH -> 0;
            case NONE -> Math.min(options.prefetchSizeDefault(), index.payloadEnd());
        };
        counters.prefetchSize = end;
        if (!options.prefetch() || end == 0) {
            counters.prefetch = Phase.DISABLED;
            return;
        }
        counters.prefetch = Phase.RUNNING;
        long start = System.nanoTime();
        try {
            long fetched = new Prefetcher(identity.name(), store, blob, counters, taskPool, PREFETCH_DECODERS)
                    .run(end, prefetchClaimed);
            counters.prefetch = Phase.DONE;
            log.info("layer {}: prefetched {} bytes of [0, {}) in {} ms", identity.name(), fetched, end,
                    (System.nanoTime() - start) / 1_000_000);
        } catch (IOException | RuntimeException e) {
            if (!closed) {
                counters.prefetch = Phase.FAILED;
                log.warn("{}", e.getMessage());
            }
        }
    }

    private void backgroundWorker() {
        try {
            background.work();
        } catch (IOException e) {
            log.warn("{}", e.getMessage());
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
