package io.jstargz.snapshotter;

import com.sun.management.HotSpotDiagnosticMXBean;
import io.grpc.BindableService;
import io.jstargz.BuildInfo;
import io.jstargz.concurrent.Futures;
import io.jstargz.concurrent.Threads;
import io.jstargz.fs.binding.FuseBindings;
import io.jstargz.fs.binding.linux.FuseMounts;
import io.jstargz.snapshotter.config.Config;
import io.jstargz.snapshotter.config.MemoryBudget;
import io.jstargz.snapshotter.snapshot.Snapshotter;
import io.jstargz.snapshotter.grpc.GrpcWarmup;
import io.jstargz.snapshotter.grpc.IntrospectionService;
import io.jstargz.snapshotter.grpc.SnapshotsService;
import io.jstargz.snapshotter.grpc.UnixSocketServer;
import io.jstargz.snapshotter.keychain.CriKeychain;
import io.jstargz.snapshotter.keychain.CriKeychainServer;
import io.jstargz.snapshotter.fs.FuseRemoteLayers;
import io.jstargz.snapshotter.handover.HandoverListener;
import io.jstargz.snapshotter.handover.Takeover;
import io.jstargz.snapshotter.debug.DebugServer;
import io.jstargz.snapshotter.metrics.MetricsServer;
import io.jstargz.snapshotter.snapshot.RemoteLayerService;
import io.jstargz.snapshotter.systemd.SdNotify;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The jstargz daemon: the snapshotter at {@code config.root()} served to containerd on {@code config.address()}
 * (the Snapshots service and jstargz's Introspection service on one socket).
 * <pre>
 *   Daemon.run(config, file, takeover);      // jstargz serve: blocks until SIGTERM/SIGINT, or a handover
 *   try (Daemon d = Daemon.start(config)) {} // embedded (tests): returns once serving
 * </pre>
 * A daemon on the kernel FUSE binding listens for a daemon taking over ({@link HandoverListener}); one started to take
 * over ({@link Takeover}) adopts the mounts of the one it replaces, which then exits without unmounting them.
 */
public final class Daemon implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Daemon.class);
    private static final Duration SHUTDOWN_WAIT = Duration.ofSeconds(120);
    /** How long each step of a takeover may take (the old daemon finishing its requests, then exiting). */
    private static final Duration TAKEOVER_WAIT = Duration.ofSeconds(120);
    /** Under the root: the CRI keychain's credentials, kept for restarts (mode 0600). */
    private static final String KEYCHAIN_FILE = "cri-keychain.json";
    /** Under the root: the native libraries the daemon loads ({@link NativeLibraries}). */
    private static final String NATIVE_DIR = "native";

    private final Config config;
    private final RootLock lock;
    private final Snapshotter snapshotter;
    private final UnixSocketServer server;
    private final String fuseBinding;
    private volatile HandoverListener handover;
    private volatile Takeover.Result tookOver;
    private final CountDownLatch closed = new CountDownLatch(1);
    private volatile MetricsServer metrics;
    private volatile DebugServer debug;
    private volatile CriKeychainServer keychain;
    /**
     * Runs the lazy-pull path and the gRPC calls once, after the socket is served: a restart is ready without
     * waiting for it, and a pull that comes during the warm-up is served, only slower.
     */
    private volatile Thread warmUp;
    private boolean closing;

    private Daemon(Config config, RootLock lock, Snapshotter snapshotter, UnixSocketServer server,
                   String fuseBinding) {
        this.config = config;
        this.lock = lock;
        this.snapshotter = snapshotter;
        this.server = server;
        this.fuseBinding = fuseBinding;
    }

    /**
     * Starts serving, with layers mounted lazily as {@code config} says, metrics and the CRI keychain if it asks for
     * them.
     *
     * @throws StartupException before any work, if FUSE cannot be used or the metrics address cannot be bound
     */
    public static Daemon start(Config config) throws IOException {
        return start(config, false);
    }

    /**
     * Starts as {@link #start(Config)} does; with {@code takeover}, first takes over the mounts of the daemon running
     * on the root ({@link Takeover}), if one runs.
     */
    static Daemon start(Config config, boolean takeover) throws IOException {
        Preflight.here().check(config);
        Optional<Takeover.Result> took = takeover ? Takeover.from(config.root(),
                FuseBindings.create(FuseBindings.Choice.of(config.fuse().binding())), TAKEOVER_WAIT) : Optional.empty();
        CriKeychain keychain = config.criKeychain().enable() ? CriKeychain.open(
                config.root().resolve(KEYCHAIN_FILE), Duration.ofSeconds(config.criKeychain().credentialTtlSeconds()),
                Clock.systemUTC()) : null;
        FuseRemoteLayers layers = FuseRemoteLayers.create(config, keychain == null ? List.of() : List.of(keychain),
                took.map(Takeover.Result::connections).orElse(List.of()));
        Daemon d = start(config, layers);
        d.tookOver = took.orElse(null);
        if (keychain != null) {
            d.keychain = d.serveOrClose("the CRI keychain", config.criKeychain().listenPath().toString(),
                    () -> CriKeychainServer.start(config.criKeychain(), keychain, d.snapshotter));
        }
        if (!config.metricsAddress().isEmpty()) {
            d.metrics = d.serveOrClose("metrics", config.metricsAddress(),
                    () -> MetricsServer.start(config.metricsAddress(), layers::stats, layers::degraded, d.snapshotter));
        }
        if (!config.debugAddress().isEmpty()) {
            d.debug = d.serveOrClose("diagnostics", config.debugAddress(),
                    () -> DebugServer.start(config.debugAddress(), layers::operationsInFlight));
        }
        d.handover = HandoverListener.start(config.root(), layers.binding(), d.new Handing(layers)).orElse(null);
        return d;
    }

    /** This daemon's part of a handover to a daemon taking over. */
    private final class Handing implements HandoverListener.Owner {
        private final FuseRemoteLayers layers;

        Handing(FuseRemoteLayers layers) {
            this.layers = layers;
        }

        @Override
        public int handOver(String inbox) throws IOException {
            if (!beginClosing()) {
                throw new IOException("the daemon is stopping");
            }
            try {
                stopServing();
            } catch (IOException | RuntimeException e) {
                LOG.warn("handover: {}; handing the layers over all the same", e.getMessage());
            }
            return layers.handOver(inbox);
        }

        @Override
        public void handedOver(long successor) {
            try {
                snapshotter.close();
            } catch (IOException | RuntimeException e) {
                LOG.error("closing after the handover: {}", e.getMessage(), e);
            } finally {
                // systemd follows the new daemon from now on (NotifyAccess=all): this one's exit is no crash
                SdNotify.notify("MAINPID=" + successor);
                release();
            }
        }
    }

    /** Starts a server beside the snapshots socket. */
    @FunctionalInterface
    private interface Server<T> {
        T start() throws IOException;
    }

    /** {@code server} started, or the daemon closed and the failure named with what and where it would serve. */
    private <T> T serveOrClose(String what, String where, Server<T> server) throws IOException {
        try {
            return server.start();
        } catch (IOException | RuntimeException e) {
            close();
            throw new IOException("cannot serve " + what + " on " + where + ": " + e.getMessage(), e);
        }
    }

    /**
     * Opens the snapshotter (restoring remote layers), then serves on the socket. The daemon owns {@code remote}
     * from here on and closes it.
     */
    public static Daemon start(Config config, RemoteLayerService remote) throws IOException {
        RootLock lock = RootLock.acquire(config.root(), remote.keptMounts());
        Snapshotter snapshotter = null;
        try {
            snapshotter = Snapshotter.open(config.root(), remote, config.allowNoVerification());
            List<BindableService> services = List.of(new SnapshotsService(snapshotter),
                    new IntrospectionService(snapshotter, remote, MemoryBudget.of(config).processBoundBytes()));
            UnixSocketServer server = UnixSocketServer.start(config.address(), services);
            Daemon d = new Daemon(config, lock, snapshotter, server, remote.fuseBinding());
            if (config.warmUp()) {
                d.warmUp = Threads.start("jstargz-warmup", () -> {
                    long begin = System.nanoTime();
                    remote.warmUp(config.root().resolve("warmup"));
                    GrpcWarmup.run(config.address());
                    LOG.info("warm-up finished in {} ms: pulls from now on run compiled code",
                            (System.nanoTime() - begin) / 1_000_000);
                });
            }
            return d;
        } catch (IOException | RuntimeException e) {
            if (snapshotter != null) {
                snapshotter.close();
            } else {
                remote.close();
            }
            lock.close();
            throw e;
        }
    }

    /**
     * Runs the daemon until SIGTERM or SIGINT, then shuts down gracefully: stops serving, unmounts remote layers,
     * closes the database; or until a daemon takes over, which gets the mounts. Tells systemd when ready if started
     * with {@code Type=notify}.
     *
     * @param configFile where {@code config} was read from, for the start-up line
     * @param takeover   take the mounts over from the daemon running on the root, if one runs
     */
    public static void run(Config config, String configFile, boolean takeover)
            throws IOException, InterruptedException {
        NativeLibraries.extractUnder(config.root().resolve(NATIVE_DIR));
        // installed first: a signal during start (restoring layers, warming up) still ends in a clean shutdown; run
        // by the FUSE mounts' exit hook before it unmounts what is left, so a handover under way finishes first
        CompletableFuture<Daemon> started = new CompletableFuture<>();
        FuseMounts.atExitFirst(() -> {
            if (started.isCompletedExceptionally()) {
                return; // the caller reports why it did not start
            }
            try {
                Futures.get(started, SHUTDOWN_WAIT, "the daemon's start").close();
            } catch (IOException | RuntimeException e) {
                LOG.warn("stopping before the daemon started: {}", e.getMessage());
            }
        });
        logMemory(MemoryBudget.of(config));
        LOG.debug("the JIT's {} compiler threads lowered as background threads are", Threads.backgroundCompilers());
        Daemon daemon;
        try {
            daemon = start(config, takeover);
        } catch (IOException | RuntimeException e) {
            started.completeExceptionally(e);
            throw e;
        }
        started.complete(daemon);
        LOG.info("jstargz snapshotter ready: version {}, config {}, root {}, socket {}, FUSE binding {}",
                BuildInfo.current(), configFile, config.root(), config.address(), daemon.fuseBinding);
        Takeover.Result took = daemon.tookOver;
        if (took != null) {
            LOG.info("took over from pid {}: {} layer mounts adopted, serving {} ms after asking", took.from(),
                    took.connections().size(), (System.nanoTime() - took.askedAt()) / 1_000_000);
        }
        SdNotify.notify("READY=1");
        daemon.awaitClose();
    }

    /**
     * Says what the heap is sized for, and warns when the JVM was given less (started without bin/jstargz, or with a
     * smaller -Xmx in JAVA_OPTS): the memory tier and the indexes may then not fit.
     */
    private static void logMemory(MemoryBudget budget) {
        long jvmMax = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class).getVMOption("MaxHeapSize")
                .getValue().transform(Long::parseLong);
        if (jvmMax < budget.maxHeapBytes()) {
            LOG.warn("memory: the JVM's heap is bounded at {} MiB, below the {}", jvmMax >> 20, budget.describe());
        } else {
            LOG.info("memory: {}", budget.describe());
        }
    }

    public Config config() {
        return config;
    }

    public Snapshotter snapshotter() {
        return snapshotter;
    }

    /** The port metrics are served on, when {@code metrics_address} is set. */
    public OptionalInt metricsPort() {
        MetricsServer m = metrics;
        return m == null ? OptionalInt.empty() : OptionalInt.of(m.port());
    }

    /** The port diagnostics are served on, when {@code debug_address} is set. */
    public OptionalInt debugPort() {
        DebugServer s = debug;
        return s == null ? OptionalInt.empty() : OptionalInt.of(s.port());
    }

    /** Blocks until {@link #close()} has finished. */
    public void awaitClose() throws InterruptedException {
        closed.await();
    }

    /** The warm-up mounts a layer of its own and calls the socket: it ends before the daemon's parts close. */
    private void awaitWarmUp() throws InterruptedIOException {
        Thread w = warmUp;
        if (w == null) {
            return;
        }
        try {
            w.join(SHUTDOWN_WAIT.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while the warm-up ends");
        }
    }

    /**
     * Stops: closes the sockets, unmounts the layers and closes the database. If the daemon is closing already, or
     * handing its mounts over (a SIGTERM during a takeover), waits for that to end instead: the exit that follows must
     * not cut a handover short.
     */
    @Override
    public void close() {
        if (!beginClosing()) {
            awaitClosed();
            return;
        }
        LOG.info("shutting down");
        SdNotify.notify("STOPPING=1");
        try {
            stopServing();
            snapshotter.close();
        } catch (IOException | RuntimeException e) {
            LOG.error("shutdown: {}", e.getMessage(), e);
        } finally {
            release();
        }
    }

    private void awaitClosed() {
        try {
            if (!closed.await(SHUTDOWN_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("the daemon's stop or handover did not end within {}", SHUTDOWN_WAIT);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether this call starts closing (a stop or a handover): true once. */
    private synchronized boolean beginClosing() {
        if (closing) {
            return false;
        }
        closing = true;
        return true;
    }

    /** Closes every socket and address the daemon serves on, and waits for the warm-up. */
    private void stopServing() throws InterruptedIOException {
        if (handover != null) {
            handover.close();
        }
        if (metrics != null) {
            metrics.close();
        }
        if (debug != null) {
            debug.close();
        }
        if (keychain != null) {
            keychain.close();
        }
        server.close();
        awaitWarmUp();
    }

    /** Releases the root's lock: the daemon has stopped. */
    private void release() {
        try {
            lock.close();
        } catch (IOException e) {
            LOG.warn("cannot release the lock on {}: {}", config.root(), e.getMessage());
        }
        closed.countDown();
        LOG.info("stopped");
    }
}
