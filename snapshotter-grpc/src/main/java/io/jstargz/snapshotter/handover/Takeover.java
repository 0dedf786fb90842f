package io.jstargz.snapshotter.handover;

import io.jstargz.concurrent.Futures;
import io.jstargz.fs.binding.ConnectionInbox;
import io.jstargz.fs.binding.FuseBinding;
import io.jstargz.snapshotter.systemd.SdNotify;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import jnr.posix.POSIX;
import jnr.posix.POSIXFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The new daemon's end of a handover ({@code jstargz serve --takeover}, {@link HandoverMessages}): it asks the daemon
 * listening on {@code <root>/handover.sock} for its mounts, receives their FUSE connections, and waits for that daemon
 * to exit, which releases the root's lock, the gRPC socket and the other addresses. The new daemon then starts as
 * after a crash under systemd, adopting these connections instead of mounting again: the requests that came in
 * between waited in the kernel and are answered then.
 */
public final class Takeover {
    private static final Logger LOG = LoggerFactory.getLogger(Takeover.class);

    /**
     * What was handed over.
     *
     * @param connections one {@code FDSTORE=1} notification per mount, its descriptor open in this process
     * @param from        the process that handed them over (it has exited)
     * @param askedAt     when this daemon asked ({@link System#nanoTime()}), to time the takeover
     */
    public record Result(List<ConnectionInbox.Notification> connections, long from, long askedAt) {
    }

    private Takeover() {
    }

    /**
     * Takes over from the daemon serving {@code root}, waiting at most {@code timeout} for each step. Empty (and
     * logged) when no daemon listens there: none runs, or it died; the daemon then starts as usual, and one that runs
     * but cannot hand over (jnr-fuse) still holds the root's lock, which stops this one with an error.
     *
     * @throws IOException if the running daemon refused, or did not finish in time (what it sent is closed)
     */
    public static Optional<Result> from(Path root, FuseBinding binding, Duration timeout) throws IOException {
        Path listener = HandoverMessages.listener(root);
        if (!Files.exists(listener)) {
            LOG.info("takeover: no daemon listens on {}; starting as usual", listener);
            return Optional.empty();
        }
        Path inboxPath = root.resolve(HandoverMessages.INBOX);
        Files.deleteIfExists(inboxPath);
        long asked = System.nanoTime();
        List<ConnectionInbox.Notification> got = new ArrayList<>();
        try (ConnectionInbox inbox = binding.openInbox(inboxPath)) {
            try {
                SdNotify.send(listener.toString(),
                        new HandoverMessages.Request(inboxPath.toString(), ProcessHandle.current().pid()).text());
            } catch (IOException e) {
                LOG.info("takeover: no daemon answers on {} ({}); starting as usual", listener, e.getMessage());
                return Optional.empty();
            }
            while (true) {
                ConnectionInbox.Notification n = inbox.receive(timeout);
                if ("1".equals(n.field("FDSTORE"))) {
                    got.add(n);
                } else if ("0".equals(n.field("HANDOVER"))) {
                    throw new IOException("the daemon on " + root + " refused to hand over: " + n.field("REASON"));
                } else if ("1".equals(n.field("HANDOVER"))) {
                    long pid = HandoverMessages.number(n.field("PID")).orElseThrow(() -> new IOException(
                            "the daemon on " + root + " said it handed over, but not which process it is"));
                    awaitExit(pid, timeout);
                    LOG.info("takeover: pid {} handed over {} layer mounts and exited after {} ms", pid, got.size(),
                            (System.nanoTime() - asked) / 1_000_000);
                    return Optional.of(new Result(List.copyOf(got), pid, asked));
                }
            }
        } catch (IOException | RuntimeException e) {
            POSIX posix = POSIXFactory.getNativePOSIX();
            got.forEach(n -> {
                for (int fd : n.fds()) {
                    posix.close(fd);
                }
            });
            throw e;
        }
    }

    private static void awaitExit(long pid, Duration timeout) throws IOException {
        Optional<ProcessHandle> p = ProcessHandle.of(pid);
        if (p.isPresent()) {
            Futures.get(p.get().onExit(), timeout, "the exit of the daemon that handed over (pid " + pid + ")");
        }
    }
}
