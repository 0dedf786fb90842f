package io.jstargz.snapshotter;

import io.jstargz.mount.FileTrees;
import io.jstargz.snapshotter.config.Config;
import io.jstargz.snapshotter.grpc.GrpcWarmup;
import io.jstargz.snapshotter.fs.WarmupLayer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The training run of the daemon's ahead-of-time cache ({@code jstargz serve --train}; the launcher records it with
 * {@code -XX:AOTCacheOutput} on JDK 25). It starts the daemon in a root of its own, with its warm-up, then pulls the
 * warm-up layer lazily over the daemon's socket (Prepare, Mounts, reads through FUSE, Remove) and stops it: the JVM
 * keeps the classes this loads and links and the profiles of the methods it runs hot. The training is the daemon's
 * own start and pull code, not a script of it, so what is trained cannot drift from what runs.
 */
public final class Training {
    private static final Logger LOG = LoggerFactory.getLogger(Training.class);

    private Training() {
    }

    /**
     * Runs the training with {@code config}'s settings but a temporary root and socket, and no metrics server (the
     * node's daemon may be using that port), and removes them.
     *
     * @throws IOException the daemon did not start or the pull failed: a cache recorded from this run would miss
     *                     the code of a pull
     */
    public static void run(Config config) throws IOException {
        long start = System.nanoTime();
        Path dir = Files.createTempDirectory("jstargz-training-");
        Config c = config.withRoot(dir.resolve("root")).withAddress(dir.resolve("jstargz.sock"))
                .withMetricsAddress("").withWarmUp(true);
        try (Daemon daemon = Daemon.start(c);
             WarmupLayer layer = WarmupLayer.serve(c.root().resolve("warmup"))) {
            GrpcWarmup.pull(daemon.config().address(), layer.imageRef(), layer.digest(), layer.tocDigest());
        } finally {
            FileTrees.removeTree(dir);
        }
        LOG.info("training run done in {} ms", (System.nanoTime() - start) / 1_000_000);
    }
}
