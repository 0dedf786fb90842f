package io.jstargz.snapshotter.fs;

import io.jstargz.fs.LayerMount;
import io.jstargz.remote.Digest;
import io.jstargz.remote.ImageReference;
import io.jstargz.snapshotter.snapshot.LayerRequest;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts on an image's other layers while containerd prepares the first (the reference snapshotter prefetches
 * neighbours too): the layers label names them all on the first Prepare, so each is opened, in parallel, and its
 * mount object made and its prefetch started; when its own Prepare comes, the layer is ready and takes that mount
 * object ({@link LayerOpener.Opened#take}). So an N-layer image costs about one round trip, not N. They start once the
 * Prepare's own layer is open, not beside it: their requests delayed its tail (on a 20 ms link it took 106-110 ms
 * rather than 68-73 in three pulls of five), and their TOC parses would take the CPU from its parse, while that
 * Prepare is the one containerd waits for. Each reads a tail of 64 KiB, then exactly the rest of its
 * TOC ({@link LayerOpener#openAhead}), not the 512 KiB a Prepare's own layer reads at once: the file data such a tail
 * brings past a smaller TOC (the blob's last files, seldom read) is not fetched, and the extra round trip costs about
 * what that data's transfer did. A layer staged this way whose Prepare does not come within a minute (a pull
 * abandoned) stops fetching.
 */
final class NeighbourPrefetch {
    private static final Logger LOG = LoggerFactory.getLogger(NeighbourPrefetch.class);
    private static final Duration STAGED_TTL = Duration.ofSeconds(60);

    /** Makes the mount object of an opened layer (not mounted yet). */
    @FunctionalInterface
    interface MountObjects {
        LayerMount make(ImageReference image, Digest digest, LayerOpener.Opened opened, LayerRequest request)
                throws IOException;
    }

    private final LayerOpener opener;
    private final MountObjects mountObjects;
    private final Executor executor;

    NeighbourPrefetch(LayerOpener opener, MountObjects mountObjects, Executor executor) {
        this.opener = opener;
        this.mountObjects = mountObjects;
        this.executor = executor;
    }

    /** Starts opening and prefetching the other layers {@code request} names; returns at once. */
    void start(ImageReference image, LayerRequest request) {
        for (String d : request.neighbours()) {
            Digest digest;
            try {
                digest = Digest.parse(d);
            } catch (IllegalArgumentException e) {
                LOG.debug("not resolving neighbour {} of {}: {}", d, request.layerDigest(), e.getMessage());
                continue;
            }
            opener.openAhead(image, digest).thenAcceptAsync(o -> stage(image, digest, o, request), executor);
        }
    }

    private void stage(ImageReference image, Digest digest, LayerOpener.Opened opened, LayerRequest request) {
        try {
            opened.stage(() -> {
                LayerMount m = mountObjects.make(image, digest, opened, request);
                m.startFetching();
                return m;
            });
            CompletableFuture.delayedExecutor(STAGED_TTL.toSeconds(), TimeUnit.SECONDS, executor)
                    .execute(opened::discard);
        } catch (IOException | RuntimeException e) {
            LOG.debug("layer {}: not prefetched ahead of its Prepare: {}", digest, e.getMessage());
        }
    }
}
