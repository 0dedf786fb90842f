package io.jstargz.snapshotter.keychain;

import io.jstargz.concurrent.Threads;
import io.jstargz.snapshotter.config.CriKeychainConfig;
import io.jstargz.snapshotter.snapshot.LayerStatus;
import io.jstargz.snapshotter.snapshot.Snapshotter;
import io.jstargz.snapshotter.grpc.UnixChannel;
import io.jstargz.snapshotter.grpc.UnixSocketServer;
import io.jstargz.snapshotter.model.SnapshotException;
import io.jstargz.snapshotter.snapshot.FetchProgress;
import io.jstargz.snapshotter.snapshot.RemoteLayerRecord;
import io.jstargz.snapshotter.snapshot.RemoteLayerState;
import java.io.IOException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CRI keychain at work: the {@link ImageServiceProxy} served on its own socket (the kubelet's
 * {@code --image-service-endpoint}) in front of containerd's, and the pruning of {@link CriKeychain} entries whose
 * images no longer need the registry, after each pull and every minute (a layer becomes local on its own time).
 */
public final class CriKeychainServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CriKeychainServer.class);
    private static final Duration PRUNE_INTERVAL = Duration.ofMinutes(1);

    private final UnixChannel containerd;
    private final UnixSocketServer server;
    private final ScheduledExecutorService pruner;

    private CriKeychainServer(UnixChannel containerd, UnixSocketServer server, ScheduledExecutorService pruner) {
        this.containerd = containerd;
        this.server = server;
        this.pruner = pruner;
    }

    /** Serves the proxy on {@code config.listenPath()}, forwarding to {@code config.imageServicePath()}. */
    public static CriKeychainServer start(CriKeychainConfig config, CriKeychain keychain, Snapshotter snapshotter)
            throws IOException {
        ScheduledExecutorService pruner = Executors.newSingleThreadScheduledExecutor(
                Threads.named("jstargz-keychain-prune"));
        Runnable prune = () -> prune(keychain, snapshotter);
        UnixChannel containerd = new UnixChannel(config.imageServicePath());
        try {
            UnixSocketServer server = UnixSocketServer.start(config.listenPath(), List.of(
                    new ImageServiceProxy(containerd.channel(), keychain, reference -> pruner.execute(prune))));
            pruner.scheduleWithFixedDelay(prune, 0, PRUNE_INTERVAL.toSeconds(), TimeUnit.SECONDS);
            LOG.info("CRI keychain: serving the image service on {}, forwarding to {}", config.listenPath(),
                    config.imageServicePath());
            return new CriKeychainServer(containerd, server, pruner);
        } catch (IOException | RuntimeException e) {
            pruner.shutdownNow();
            containerd.close();
            throw e;
        }
    }

    private static void prune(CriKeychain keychain, Snapshotter snapshotter) {
        Set<String> needed;
        try {
            needed = imagesNeedingTheRegistry(snapshotter.status());
        } catch (IOException | SnapshotException | RuntimeException e) {
            LOG.warn("CRI keychain: cannot tell which images still need the registry: {}", e.getMessage());
            return;
        }
        keychain.prune(needed::contains);
    }

    /** Images with a lazily pulled layer that is mounted (or failed and will be restored) and not all local. */
    static Set<String> imagesNeedingTheRegistry(List<LayerStatus> layers) {
        Set<String> out = new HashSet<>();
        for (LayerStatus l : layers) {
            if (l.remote().isEmpty() || l.remote().get().state() == RemoteLayerState.FALLBACK) {
                continue;
            }
            RemoteLayerRecord r = l.remote().get();
            FetchProgress p = l.progress();
            boolean local = p.totalBytes() > 0 && p.fetchedBytes() >= p.totalBytes();
            if (!local && !r.imageRef().isEmpty()) {
                try {
                    out.add(PullCredential.key(r.imageRef()));
                } catch (IllegalArgumentException e) {
                    // a record naming no valid image cannot match a keychain entry
                }
            }
        }
        return out;
    }

    @Override
    public void close() {
        pruner.shutdownNow();
        server.close();
        containerd.close();
    }
}
