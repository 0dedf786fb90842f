package io.jstargz.snapshotter.handover;

import io.jstargz.concurrent.Threads;
import io.jstargz.fs.binding.ConnectionInbox;
import io.jstargz.fs.binding.FuseBinding;
import io.jstargz.snapshotter.systemd.SdNotify;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running daemon's end of a handover ({@link HandoverMessages}): it listens on {@code <root>/handover.sock} for a
 * daemon taking over ({@link Takeover}), then has its daemon stop serving and send its mounts there, says it is done,
 * and has its daemon exit without unmounting. It answers one request; a daemon that stops closes it.
 */
public final class HandoverListener implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HandoverListener.class);
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(10);

    /** The daemon's part of a handover. */
    public interface Owner {
        /**
         * Stops serving (the gRPC socket and the other servers are closed) and hands every mount over to
         * {@code inbox}; returns how many were sent.
         *
         * @throws IOException if the daemon will not hand over (it is stopping already); nothing was changed
         */
        int handOver(String inbox) throws IOException;

        /** The daemon taking over (process {@code successor}) has been told: this daemon closes and exits. */
        void handedOver(long successor);
    }

    private final Path path;
    private final ConnectionInbox inbox;
    private final Owner daemon;
    private final Thread thread;

    private HandoverListener(Path path, ConnectionInbox inbox, Owner daemon) {
        this.path = path;
        this.inbox = inbox;
        this.daemon = daemon;
        this.thread = Threads.start("jstargz-handover", this::listen);
    }

    /**
     * Listens on {@code <root>/handover.sock} for a daemon taking over. Empty, and logged, when {@code binding} cannot
     * pass connections to another process (jnr-fuse): a restart then unmounts the layers.
     */
    public static Optional<HandoverListener> start(Path root, FuseBinding binding, Owner daemon) {
        Path path = HandoverMessages.listener(root);
        try {
            Files.deleteIfExists(path); // left by a daemon that died; the root's lock is ours
            return Optional.of(new HandoverListener(path, binding.openInbox(path), daemon));
        } catch (IOException e) {
            LOG.info("upgrades: no handover to a new daemon, a restart unmounts the layers: {}", e.getMessage());
            return Optional.empty();
        }
    }

    private void listen() {
        try {
            while (true) {
                ConnectionInbox.Notification n = inbox.receive(Duration.ZERO);
                if ("1".equals(n.field("CLOSE"))) {
                    return;
                }
                HandoverMessages.Request request = HandoverMessages.Request.parse(n);
                if (request == null) {
                    LOG.warn("ignoring a message on {} that is no takeover request: {}", path, n.fields());
                } else if (serve(request)) {
                    return;
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.error("the handover listener on {} stopped: {}", path, e.getMessage(), e);
        } finally {
            try {
                inbox.close();
            } catch (IOException e) {
                LOG.warn("cannot close {}: {}", path, e.getMessage());
            }
        }
    }

    /** Answers one takeover request; returns whether the mounts were handed over (this daemon then exits). */
    private boolean serve(HandoverMessages.Request request) throws IOException {
        LOG.info("pid {} takes over: handing over the layers' FUSE connections to {}", request.pid(),
                request.inbox());
        int mounts;
        try {
            mounts = daemon.handOver(request.inbox());
        } catch (IOException e) {
            LOG.warn("refused the takeover of pid {}: {}", request.pid(), e.getMessage());
            SdNotify.send(request.inbox(), HandoverMessages.refused(e.getMessage()));
            return false;
        }
        try {
            SdNotify.send(request.inbox(), HandoverMessages.done(mounts, ProcessHandle.current().pid()));
            LOG.info("handed {} layer mounts over to pid {}; exiting without unmounting them", mounts,
                    request.pid());
        } finally {
            daemon.handedOver(request.pid());
        }
        return true;
    }

    /** Stops listening (a daemon that stops); called on the listener's own thread, it does nothing. */
    @Override
    public void close() {
        if (Thread.currentThread() == thread || !thread.isAlive()) {
            return;
        }
        try {
            SdNotify.send(path.toString(), HandoverMessages.CLOSE);
            thread.join(CLOSE_WAIT.toMillis());
        } catch (IOException e) {
            LOG.warn("cannot stop the handover listener on {}: {}", path, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
