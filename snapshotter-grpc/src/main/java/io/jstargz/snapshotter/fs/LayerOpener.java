package io.jstargz.snapshotter.fs;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import io.jstargz.concurrent.ThreadPools;
import io.jstargz.estargz.BlobTail;
import io.jstargz.estargz.EstargzReader;
import io.jstargz.estargz.Footer;
import io.jstargz.estargz.ExternalTocSource;
import io.jstargz.estargz.LayerIndex;
import io.jstargz.estargz.OpenOptions;
import io.jstargz.estargz.TailCapture;
import io.jstargz.fs.LayerMount;
import io.jstargz.remote.Digest;
import io.jstargz.remote.ImageReference;
import io.jstargz.remote.RegistryBlobSource;
import io.jstargz.remote.RegistryClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens layer indexes, at most once per layer: a future per repository and digest, shared by every Prepare that
 * wants the layer and by the neighbour resolution that the first Prepare of an image starts, kept a while (bounded
 * by index entries, expiring when unused) so later Prepares find their layer ready.
 *
 * <p>A layer opens from its stored TOC ({@link TocStore}) when there is one (no request at all), else from the
 * registry with one suffix-range request that brings the blob's size with its tail: no manifest, no HEAD. A layer whose
 * TOC is external also fetches it from its TOC image ({@link TocImages}), then and on each later open.
 */
final class LayerOpener implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LayerOpener.class);
    private static final int THREADS = 16;
    private static final int QUEUE = 4096;
    private static final Duration KEEP_UNUSED = Duration.ofMinutes(10);
    /** The tail an image's other layers are opened with, ahead of their Prepares (see {@link NeighbourPrefetch}). */
    private static final int AHEAD_TAIL = 64 << 10;

    /** An opened layer index, and what opening it cost. */
    static final class Opened {
        private final LayerIndex index;
        private final BlobTail toc;
        private final boolean fromRegistry;
        private final long millis;
        private final AtomicReference<RegistryBlobSource> source;
        private final AtomicReference<BlobTail> fetched;
        private LayerMount staged;
        private boolean taken;

        /**
         * @param toc     the TOC bytes the index was opened from, to store for restarts
         * @param fetched everything the open fetched (file data too), or null when nothing was fetched
         * @param source  the registry blob that was read, or null when nothing was fetched
         */
        Opened(LayerIndex index, BlobTail toc, BlobTail fetched, RegistryBlobSource source, long millis) {
            this.index = index;
            this.toc = toc;
            this.fromRegistry = source != null;
            this.millis = millis;
            this.source = new AtomicReference<>(source);
            this.fetched = new AtomicReference<>(fetched);
        }

        LayerIndex index() {
            return index;
        }

        BlobTail toc() {
            return toc;
        }

        /** What opening the layer fetched, to the first caller only (its mount caches the file data in it). */
        BlobTail takeFetched() {
            return fetched.getAndSet(null);
        }

        /**
         * The blob to read the layer's data from. The first caller gets the source that read the index (its recent
         * success spares the first availability check a request); later callers get a fresh one (no request until
         * their first read, the size being known).
         */
        RegistryBlobSource takeSource(RegistryClient client, ImageReference image, Digest digest) throws IOException {
            RegistryBlobSource first = source.getAndSet(null);
            return first != null ? first : client.openBlob(image, digest, index.blobSize());
        }

        /** Makes the layer's mount object; it owns what it was given, the caller closes it. */
        @FunctionalInterface
        interface MountFactory {
            LayerMount make() throws IOException;
        }

        /**
         * Makes the layer's mount object now, ahead of its Prepare, so its prefetch runs while containerd prepares the
         * layers below (unless one was made or taken already).
         */
        synchronized void stage(MountFactory factory) throws IOException {
            if (!taken && staged == null) {
                staged = factory.make();
            }
        }

        /** The staged mount object, or a new one: for the first mount of the layer, or the next ones. */
        synchronized LayerMount take(MountFactory factory) throws IOException {
            LayerMount m = staged;
            staged = null;
            taken = true;
            return m != null ? m : factory.make();
        }

        /** Closes a staged mount object nobody took (the layer was refused, or the pull abandoned). */
        synchronized void discard() {
            LayerMount m = staged;
            staged = null;
            taken = true;
            if (m != null) {
                try {
                    m.close();
                } catch (IOException e) {
                    LOG.debug("layer {}: {}", m.identity().name(), e.getMessage());
                }
            }
        }

        /** Weight in the cache of opened layers: index entries, and what is held of the fetched bytes. */
        int weight() {
            BlobTail f = fetched.get();
            return index.entryCount() + 1 + (f == null ? 0 : f.bytes().length / 64);
        }

        /** For logs: how the index was obtained. */
        String how() {
            return (fromRegistry ? "fetched" : "read from its local copy") + " in " + millis + " ms";
        }
    }

    private record Key(String registry, String repository, Digest digest) {
    }

    private final RegistryClient client;
    private final TocStore tocs;
    private final ThreadPoolExecutor executor;
    private final AsyncCache<Key, Opened> opened;

    /**
     * @param maxIndexEntries what the opened layers may hold, in index entries (fetched bytes count one per 64): the
     *                        daemon's heap is sized for it
     */
    LayerOpener(RegistryClient client, TocStore tocs, long maxIndexEntries) {
        this.client = client;
        this.tocs = tocs;
        this.executor = ThreadPools.bounded("jstargz-open", THREADS, QUEUE);
        this.opened = Caffeine.newBuilder()
                .maximumWeight(maxIndexEntries)
                .weigher((Key k, Opened o) -> o.weight())
                .expireAfterAccess(KEEP_UNUSED)
                // evicted (too much held, or unused): discarded at once, on the thread that evicts it
                .evictionListener((Key k, Opened o, RemovalCause cause) -> {
                    if (o != null) {
                        o.discard();
                    }
                })
                .executor(executor)
                .buildAsync();
    }

    /**
     * The index of layer {@code digest} of {@code image}'s repository: the one already opened or being opened, else
     * a new open. A failed open is forgotten, so the next call tries again.
     */
    CompletableFuture<Opened> open(ImageReference image, Digest digest) {
        return open(image, digest, client.config().tailFetchSize());
    }

    /** As {@link #open}, for a layer opened ahead of its Prepare: with a tail of at most 64 KiB. */
    CompletableFuture<Opened> openAhead(ImageReference image, Digest digest) {
        return open(image, digest, Math.min(AHEAD_TAIL, client.config().tailFetchSize()));
    }

    private CompletableFuture<Opened> open(ImageReference image, Digest digest, int tailSize) {
        Key key = new Key(image.registry(), image.repository(), digest);
        try {
            return opened.get(key, (k, ex) -> CompletableFuture.supplyAsync(() -> load(image, digest, tailSize),
                    executor));
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(new IOException("too many layers are being opened at once ("
                    + QUEUE + " waiting)", e));
        }
    }

    private Opened load(ImageReference image, Digest digest, int tailSize) {
        long start = System.nanoTime();
        String name = digest.toString();
        Optional<BlobTail> local = tocs.load(digest);
        ExternalTocSource externalToc = TocImages.of(client, image, digest);
        try {
            if (local.isPresent()) {
                try {
                    LayerIndex index = EstargzReader.open(local.get().source(name),
                            TocStore.openOptions(local.get(), name).withExternalToc(externalToc));
                    return new Opened(index, local.get(), null, null, millisSince(start));
                } catch (IOException e) {
                    LOG.warn("layer {}: its stored TOC does not open ({}); fetching it again", name, e.getMessage());
                    tocs.delete(digest);
                }
            }
            RegistryBlobSource blob = client.openBlob(image, digest, -1);
            TailCapture capture = new TailCapture(blob, blob.readTail(tailSize));
            long tailFetched = System.nanoTime();
            LayerIndex index = EstargzReader.open(capture, OpenOptions.defaults(name)
                    .withTailSize(Math.max(Footer.MAX_SIZE, tailSize))
                    .withExternalToc(externalToc));
            BlobTail fetched = capture.fetched();
            LOG.debug("layer {} of {}: its tail fetched in {} ms, its index ({} entries, {} bytes fetched) ready {} ms"
                    + " later", name, image, (tailFetched - start) / 1_000_000, index.entryCount(),
                    fetched.bytes().length, millisSince(tailFetched));
            return new Opened(index, TocStore.tocOf(fetched, index), fetched, blob, millisSince(start));
        } catch (IOException e) {
            LOG.debug("layer {} of {} does not open: {}", name, image, e.getMessage());
            throw new UncheckedIOException(e);
        }
    }

    private static long millisSince(long start) {
        return (System.nanoTime() - start) / 1_000_000;
    }

    @Override
    public void close() {
        // each layer held gives back what it holds now, and one being opened when its opening ends, on the thread
        // that ends it: not through the executor, which is shutting down (a removal listener there was refused)
        opened.asMap().values().forEach(opening -> opening.thenAccept(Opened::discard));
        opened.synchronous().invalidateAll();
        executor.shutdown();
    }
}
