package io.jstargz.snapshotter.fs;

import io.jstargz.cache.ChunkCache;
import io.jstargz.cache.ChunkCacheConfig;
import io.jstargz.fs.LayerMountOptions;
import io.jstargz.mount.FileTrees;
import io.jstargz.remote.RegistryClient;
import io.jstargz.remote.RegistryConfig;
import io.jstargz.snapshotter.snapshot.LayerRequest;
import io.jstargz.snapshotter.snapshot.LayerUnavailableException;
import io.jstargz.snapshotter.snapshot.PrepareOutcome;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the lazy-pull path on the {@link WarmupLayer} once at start: the first real pull then runs compiled code on
 * loaded classes instead of paying for both (hundreds of milliseconds on a cold JVM). It is the path Prepare takes,
 * {@link FuseRemoteLayers#prepare}, then a container's check and reads, on a service of its own (client, caches, TOC
 * store), so the daemon's counters and caches see none of it and what is warmed cannot drift from what runs.
 */
final class Warmup {
    private static final Logger LOG = LoggerFactory.getLogger(Warmup.class);
    private static final int ROUNDS = 4;
    /** Parses of the warm-up TOC after the rounds: about as many as it takes C2 to compile the parser and indexer. */
    private static final int MAX_PARSES = 40;
    /** What the warm-up's own opener may hold: its one layer (about 3,900 index entries and a 2.8 MiB blob). */
    private static final long WARMUP_ENTRIES = 100_000;
    private static final Duration PARSE_BUDGET = Duration.ofMillis(1500);
    /**
     * Each round's cache holds the layer in memory only: written to disk, its 3,000 small files were 3,000 chunk
     * files, and closing a round waited for them (5 to 15 s of a 2-core node under load, before serving).
     */
    private static final long SCRATCH_MEMORY = 4 << 20;

    private Warmup() {
    }

    /**
     * Prepares, checks, reads and unmounts the layer {@link #ROUNDS} times: first as a pull does (the tail read caches
     * the small layer, the prefetch finds it cached), then fetching every read on demand, each round with a fresh
     * service and cache.
     *
     * @param registry how the daemon's registry client is configured
     * @param dir      a directory of its own: the layer is kept there between starts, and a scratch directory for
     *                 the mount point and the caches is made and removed there
     */
    static void run(RegistryConfig registry, LayerMountOptions base, Duration mountTimeout, Duration prefetchWait,
                    Path dir) {
        long start = System.nanoTime();
        Path scratch = dir.resolve("scratch");
        try (WarmupLayer w = WarmupLayer.serve(dir)) {
            LayerRequest request = LayerRequest.fromLabels(LayerRequest.criLabels("jstargz-warmup", w.imageRef(),
                    w.digest(), List.of(w.digest()), w.tocDigest()), false).orElseThrow();
            for (int round = 0; round < ROUNDS; round++) {
                boolean onDemand = round > 0;
                LayerMountOptions options = base.toBuilder().prefetch(!onDemand).backgroundFetch(!onDemand)
                        .debug(false).build();
                Path mp = Files.createDirectories(scratch.resolve("mnt"));
                try (FuseRemoteLayers layers = new FuseRemoteLayers(RegistryClient.create(registry),
                        ChunkCache.open(new ChunkCacheConfig(scratch.resolve("cache" + round), SCRATCH_MEMORY, 0, 1)),
                        new TocStore(scratch.resolve("layers" + round)), KeptConnections.NONE, options, mountTimeout,
                        prefetchWait, new QuietPeriod(Duration.ZERO), WARMUP_ENTRIES, false)) {
                    if (layers.prepare(request, mp) instanceof PrepareOutcome.Fallback f) {
                        throw new IOException("the warm-up layer was not mounted: " + f.reason());
                    }
                    layers.check(mp);
                    WarmupLayer.readFrom(mp, mountTimeout);
                    if (!onDemand) {
                        WarmupLayer.exercise(mp, mountTimeout);
                    }
                    layers.unmount(mp);
                }
                // The round's service, cache and index are garbage now, promoted while the round ran to the old
                // generation, which only a full collection empties: without one per round, the rounds and the parses
                // grew the heap to 81 MiB, and the daemon's peak resident memory by 20-30 MiB (docs/daemon.md).
                System.gc();
            }
            // The first Prepare of a pull waits for its layer's TOC to be parsed and indexed. A few parses get that code
            // compiled by C1 only; a 6,650-entry TOC then still took 200 ms to open on a 2-core node, 60 ms once C2
            // had compiled it.
            long parseDeadline = System.nanoTime() + PARSE_BUDGET.toNanos();
            for (int i = 0; i < MAX_PARSES && System.nanoTime() < parseDeadline; i++) {
                w.parse();
            }
            // the heap the warm-up grew is garbage now: give it back
            System.gc();
        } catch (IOException | LayerUnavailableException | RuntimeException e) {
            LOG.warn("warming up failed (the first pull may be slower): {}", e.toString());
            return;
        } finally {
            try {
                FileTrees.removeTree(scratch);
            } catch (IOException e) {
                LOG.warn("cannot remove {}: {}", scratch, e.getMessage());
            }
        }
        LOG.info("warmed up in {} ms", (System.nanoTime() - start) / 1_000_000);
    }
}
