package io.jstargz.snapshotter.handover;

import io.jstargz.fs.binding.ConnectionInbox;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * The datagrams of a handover between two daemons on one root, in systemd's notification style ({@code KEY=value}
 * lines). The daemon taking over sends a {@link #request} to {@code <root>/handover.sock}; the running daemon answers
 * on the inbox the request names with one {@code FDSTORE=1} notification per mount (what systemd's file descriptor
 * store gets, so the new daemon adopts them as it adopts those systemd hands back), then {@link #done}.
 */
final class HandoverMessages {
    /** Under the root: where the running daemon listens for a daemon taking over (mode 0600). */
    static final String LISTENER = "handover.sock";
    /** Under the root: where the daemon taking over receives the connections (mode 0600). */
    static final String INBOX = "takeover.sock";
    /** Sent by a daemon to its own listener to end it. */
    static final String CLOSE = "CLOSE=1\n";

    private HandoverMessages() {
    }

    /** A daemon taking over asks for the mounts, to be sent to {@code inbox}; it is process {@code pid}. */
    record Request(String inbox, long pid) {
        String text() {
            return "TAKEOVER=1\nINBOX=" + inbox + "\nPID=" + pid + "\n";
        }

        /** The request {@code n} is, or null when it is not one. */
        static Request parse(ConnectionInbox.Notification n) {
            OptionalLong pid = number(n.field("PID"));
            return "1".equals(n.field("TAKEOVER")) && n.field("INBOX") != null && pid.isPresent()
                    ? new Request(n.field("INBOX"), pid.getAsLong()) : null;
        }
    }

    /** The last message: {@code mounts} connections were sent, and process {@code pid} now exits. */
    static String done(int mounts, long pid) {
        return "HANDOVER=1\nMOUNTS=" + mounts + "\nPID=" + pid + "\n";
    }

    /** The daemon asked refuses to hand over, for {@code reason}. */
    static String refused(String reason) {
        return "HANDOVER=0\nREASON=" + reason.replace('\n', ' ') + "\n";
    }

    static Path listener(Path root) {
        return root.resolve(LISTENER);
    }

    static OptionalLong number(String value) {
        try {
            return value == null ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(value.trim()));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }
}
