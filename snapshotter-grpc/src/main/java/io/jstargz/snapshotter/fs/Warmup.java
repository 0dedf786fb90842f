package io.jstargz.snapshotter.fs;

import io.jstargz.cache.ChunkCache;
import io.jstargz.cache.ChunkCacheConfig;
import io.jstargz.estargz.BlobTail;
import io.jstargz.fs.LayerIdentity;
import io.jstargz.fs.LayerMount;
import io.jstargz.fs.LayerMountOptions;
import io.jstargz.mount.FileTrees;
import io.jstargz.remote.Digest;
import io.jstargz.remote.ImageReference;
import io.jstargz.remote.RegistryClient;
import io.jstargz.remote.RegistryConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the lazy-pull path on the {@link WarmupLayer} once at start: the first real pull then runs compiled code on
 * loaded classes instead of paying for both (hundreds of milliseconds on a cold JVM).
 */
final class Warmup {
    private static final Logger LOG = LoggerFactory.getLogger(Warmup.class);
    private static final int ROUNDS = 4;
    /** Parses of the warm-up TOC after the rounds: about as many as it takes C2 to compile the parser and indexer. */
    private static final int MAX_PARSES = 40;
    /** What the warm-up's own opener may hold: its one layer (3,061 entries and its 2.6 MiB blob, weighing 45,000). */
    private static final long WARMUP_ENTRIES = 100_000;
    private static final Duration PARSE_BUDGET = Duration.ofMillis(1500);

    private Warmup() {
    }

    /**
     * Opens, mounts and reads the layer {@link #ROUNDS} times: first as a pull does (the tail read caches the small
     * layer, the prefetch finds it cached), then fetching every read on demand, each round with a fresh cache.
     *
     * @param registry how the daemon's registry client is configured
     * @param dir      a directory of its own: the layer is kept there between starts, and a scratch directory for
     *                 the mount point and the caches is made and removed there
     */
    static void run(RegistryConfig registry, LayerMountOptions base, Duration timeout, Path dir) {
        long start = System.nanoTime();
        Path scratch = dir.resolve("scratch");
        // a client, opener and caches of its own: the daemon's counters and caches see none of this
        try (WarmupLayer w = WarmupLayer.serve(dir);
             RegistryClient client = RegistryClient.create(registry);
             LayerOpener opener = new LayerOpener(client, new LayerTails(scratch.resolve("layers")), WARMUP_ENTRIES)) {
            ImageReference image = ImageReference.parse(w.imageRef());
            Digest digest = Digest.parse(w.digest());
            for (int round = 0; round < ROUNDS; round++) {
                boolean onDemand = round > 0;
                LayerMountOptions options = base.toBuilder().prefetch(!onDemand).backgroundFetch(!onDemand)
                        .expectedTocDigest(w.tocDigest()).debug(false).build();
                LayerOpener.Opened opened = opener.open(image, digest).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                Path mp = Files.createDirectories(scratch.resolve("mnt"));
                try (ChunkCache cache = ChunkCache.open(new ChunkCacheConfig(scratch.resolve("cache" + round),
                        1 << 20, 16 << 20, 1));
                     LayerMount mount = LayerMount.open(new LayerIdentity(image.toString(), digest.toString()),
                             opened.index(), opened.takeSource(client, image, digest), cache, options)) {
                    BlobTail fetched = opened.takeFetched();
                    if (fetched != null && !onDemand) {
                        mount.adopt(fetched);
                    }
                    mount.mount(mp);
                    mount.prefetchDone().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                    for (String f : WarmupLayer.FILES) {
                        Files.readAllBytes(mp.resolve(f));
                    }
                    try (Stream<Path> entries = Files.list(mp.resolve("bin"))) {
                        entries.forEach(p -> p.toFile().lastModified());
                    }
                    mount.check();
                }
                opener.forget(image, digest);
            }
            // The first Prepare of a pull waits for its layer's TOC to be parsed and indexed. A few parses get that code
            // compiled by C1 only; a 6,650-entry TOC then still took 200 ms to open on a 2-core node, 60 ms once C2
            // had compiled it.
            long parseDeadline = System.nanoTime() + PARSE_BUDGET.toNanos();
            for (int i = 0; i < MAX_PARSES && System.nanoTime() < parseDeadline; i++) {
                w.parse();
            }
            // the heap the warm-up grew is garbage now: give it back before serving
            System.gc();
            LOG.info("warmed up in {} ms", (System.nanoTime() - start) / 1_000_000);
        } catch (IOException | ExecutionException | TimeoutException | RuntimeException e) {
            LOG.warn("warming up failed (the first pull may be slower): {}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            try {
                FileTrees.removeTree(scratch);
            } catch (IOException e) {
                LOG.warn("cannot remove {}: {}", scratch, e.getMessage());
            }
        }
    }
}
