package io.jstargz.snapshotter.fs;

import io.jstargz.fs.LayerMount;
import io.jstargz.fs.binding.ConnectionInbox;
import io.jstargz.fs.binding.FuseBinding;
import io.jstargz.fs.binding.KeptConnection;
import io.jstargz.snapshotter.systemd.SdNotify;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import jnr.posix.POSIX;
import jnr.posix.POSIXFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The FUSE connections of this daemon's layer mounts in systemd's file descriptor store, so that running containers
 * keep their layers when the daemon crashes, and handed to a daemon taking over, so that they keep them across an
 * upgrade.
 *
 * <p>Each new mount's connection is stored ({@code FDSTORE=1}, named after its mount point, {@link KeptConnection});
 * a mount whose connection some process holds does not die with the daemon: requests wait until a daemon serves it
 * again. After a crash, systemd starts the daemon with the stored descriptors ({@code LISTEN_FDS}, named in
 * {@code LISTEN_FDNAMES}); restoring a layer then adopts its mount instead of mounting it again, and the mounts the
 * daemon finds no use for are released. Without {@code $NOTIFY_SOCKET} (no systemd), or on a binding that cannot keep
 * connections (jnr-fuse), nothing is stored and a crash ends the mounts, as it always did.
 */
public final class KeptConnections {
    private static final Logger LOG = LoggerFactory.getLogger(KeptConnections.class);
    /** sd_listen_fds(3): passed descriptors start here. */
    private static final int LISTEN_FDS_START = 3;
    /** Nothing stored, nothing inherited: a process outside systemd, and the warm-up's own service. */
    static final KeptConnections NONE = new KeptConnections(null, Map.of());

    /** A connection handed back at start: its descriptor, open in this process, and what its INIT settled. */
    record Inherited(int fd, KeptConnection kept) {
    }

    private final String notifySocket;
    private final Map<Path, Inherited> inherited;
    private final Map<Path, KeptConnection> stored = new ConcurrentHashMap<>();
    private final POSIX posix = POSIXFactory.getNativePOSIX();

    private KeptConnections(String notifySocket, Map<Path, Inherited> inherited) {
        this.notifySocket = notifySocket;
        this.inherited = new ConcurrentHashMap<>(inherited);
    }

    /**
     * The store systemd's environment describes, with the connections {@code handedOver} by a daemon this one takes
     * over from (each an {@code FDSTORE=1} notification, as systemd would have got it): those are adopted the same way.
     */
    static KeptConnections of(Map<String, String> env, List<ConnectionInbox.Notification> handedOver) {
        KeptConnections c = fromEnvironment(env);
        for (ConnectionInbox.Notification n : handedOver) {
            Optional<KeptConnection> kept = Optional.ofNullable(n.field("FDNAME"))
                    .flatMap(name -> KeptConnection.parse(name, n.field("OPEN_INODES")));
            if (kept.isPresent() && n.fds().length == 1) {
                c.inherited.put(Path.of(kept.get().label()), new Inherited(n.fds()[0], kept.get()));
            } else {
                LOG.warn("ignoring a handed-over message that is not one named FUSE connection: {}", n.fields());
                for (int fd : n.fds()) {
                    c.posix.close(fd);
                }
            }
        }
        return c;
    }

    /**
     * The store systemd's environment describes: {@code NOTIFY_SOCKET}, and {@code LISTEN_FDS} / {@code LISTEN_FDNAMES}
     * when {@code LISTEN_PID} is this process. Descriptors named otherwise than a {@link KeptConnection} are ignored.
     */
    static KeptConnections fromEnvironment(Map<String, String> env) {
        String socket = env.get("NOTIFY_SOCKET");
        Map<Path, Inherited> inherited = new HashMap<>();
        String pid = env.getOrDefault("LISTEN_PID", "");
        if (pid.equals(Long.toString(ProcessHandle.current().pid()))) {
            int count = parseCount(env.getOrDefault("LISTEN_FDS", "0"));
            List<String> names = List.of(env.getOrDefault("LISTEN_FDNAMES", "").split(":", -1));
            for (int i = 0; i < count && i < names.size(); i++) {
                int fd = LISTEN_FDS_START + i;
                Optional<KeptConnection> kept = KeptConnection.parse(names.get(i));
                kept.ifPresent(k -> inherited.put(Path.of(k.label()), new Inherited(fd, k)));
            }
            LOG.info("systemd handed back {} FUSE connections of {} descriptors", inherited.size(), count);
        }
        return new KeptConnections(socket == null || socket.isEmpty() ? null : socket, inherited);
    }

    private static int parseCount(String value) {
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            LOG.warn("ignoring LISTEN_FDS={}: not a number", value);
            return 0;
        }
    }

    /** What a crash does to the layers mounted with {@code binding}, for {@code jstargz status}. */
    String survival(FuseBinding binding) {
        if (notifySocket == null) {
            return "layers end with a crash of the daemon: no systemd fd store to keep their FUSE connections"
                    + " ($NOTIFY_SOCKET is not set)";
        }
        if (!binding.name().equals("kernel")) {
            return "layers end with a crash of the daemon: the " + binding.name() + " FUSE binding cannot keep its"
                    + " connections (the kernel binding, JDK 22+, can)";
        }
        return "layers survive a crash of the daemon: their FUSE connections are kept in systemd's fd store";
    }

    /** Mount points whose connection was handed back: they are to be adopted, not detached. */
    Set<Path> inheritedMountPoints() {
        return Set.copyOf(inherited.keySet());
    }

    /** The connection handed back for {@code mountPoint}, which the caller now owns. */
    Optional<Inherited> take(Path mountPoint) {
        return Optional.ofNullable(inherited.remove(mountPoint));
    }

    /** Stores the connection of {@code mount} at {@code mountPoint}; a failure is logged (it dies with us then). */
    void keep(LayerMount mount, Path mountPoint) {
        if (notifySocket == null) {
            return;
        }
        try {
            stored.put(mountPoint, mount.keep(notifySocket, mountPoint.toString()));
        } catch (IOException | IllegalArgumentException e) {
            LOG.warn("layer at {}: its FUSE connection is not kept by systemd, a crash ends the mount: {}", mountPoint,
                    e.getMessage());
        }
    }

    /**
     * Hands the connection of {@code mount} at {@code mountPoint} over to the daemon taking over, whose inbox is
     * {@code inbox} ({@link LayerMount#handOver}). systemd keeps what it stored: the new daemon stores the same
     * connection again, which systemd recognises, and if it dies before that, systemd still holds the mount.
     */
    void handOver(LayerMount mount, Path mountPoint, String inbox, Duration timeout) throws IOException {
        mount.handOver(inbox, mountPoint.toString(), timeout);
        stored.remove(mountPoint);
    }

    /** What an upgrade ({@code jstargz serve --takeover}) does to the layers mounted with {@code binding}. */
    static String upgrade(FuseBinding binding) {
        if (!binding.name().equals("kernel")) {
            return "layers end with an upgrade: the " + binding.name() + " FUSE binding cannot hand its connections"
                    + " over (the kernel binding, JDK 22+, can); a restart unmounts them";
        }
        return "layers survive an upgrade: jstargz serve --takeover (systemctl reload) hands their FUSE connections"
                + " over; a stop or restart unmounts them";
    }

    /** The layer at {@code mountPoint} is unmounted for good: systemd lets go of its connection. */
    void remove(Path mountPoint) {
        KeptConnection kept = stored.remove(mountPoint);
        if (kept != null) {
            SdNotify.notify(notifySocket, "FDSTOREREMOVE=1\nFDNAME=" + kept.name());
        }
    }

    /**
     * Releases the connections handed back that no layer took: their mounts are of snapshots gone or not restored.
     * Closing the last descriptor of a connection aborts it, and the dead mount is then detached by whoever mounts
     * there next or removes the snapshot.
     */
    void releaseUnclaimed() {
        for (Path mp : List.copyOf(inherited.keySet())) {
            Inherited i = inherited.remove(mp);
            if (i != null) {
                SdNotify.notify(notifySocket, "FDSTOREREMOVE=1\nFDNAME=" + i.kept().name());
                posix.close(i.fd());
                LOG.info("released the kept FUSE connection of {}: no layer is restored there", mp);
            }
        }
    }

    /** Closes a descriptor handed back that could not be adopted. */
    void close(Inherited i) {
        posix.close(i.fd());
    }
}
