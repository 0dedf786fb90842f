package io.jstargz.bench;

import io.jstargz.mount.MountTable;
import io.jstargz.process.Command;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Everything one {@code bench/run} starts, under one temporary directory: the registry (its storage cached in
 * {@code bench/.cache}), a {@link LinkProxy} in front of it per {@link Net} (on loopback one that only relays and
 * counts), a hosts.toml directory, containerd and the snapshotter daemon of the mode being measured.
 * {@link #coldStart} gives each run a node as after a reboot; {@link #close} stops everything and removes the
 * directory.
 */
final class Sandbox implements AutoCloseable {
    private final Path dir;
    private final Path hostsDir;
    private final Registry registry;
    private final Map<Net, LinkProxy> links;
    private final Daemons daemons;
    private final ContainerdRelease release;
    private ContainerdService containerd;
    private Daemons.Running snapshotter;
    private int keptLogs;
    private boolean closed;

    private Sandbox(Path dir, Path hostsDir, Registry registry, Map<Net, LinkProxy> links, Daemons daemons,
                    ContainerdRelease release) {
        this.release = release;
        this.dir = dir;
        this.hostsDir = hostsDir;
        this.registry = registry;
        this.links = links;
        this.daemons = daemons;
    }

    /** Starts the registry on {@code registryStorage} and the link proxies in front of it. */
    static Sandbox open(Path dir, Path registryStorage, Daemons daemons, ContainerdRelease release)
            throws IOException {
        Files.createDirectories(dir);
        Registry registry = Registry.start(registryStorage, dir.resolve("registry"));
        Map<Net, LinkProxy> links = new EnumMap<>(Net.class);
        try {
            for (Net net : Net.values()) {
                links.put(net, LinkProxy.start(registry.address(), net.oneWayDelayMillis, net.bitsPerSecond));
            }
            Path hosts = dir.resolve("certs.d");
            List<Integer> ports = new ArrayList<>(List.of(registry.port()));
            links.values().forEach(l -> ports.add(l.port()));
            for (int port : ports) {
                String host = "127.0.0.1:" + port;
                Path d = Files.createDirectories(hosts.resolve(host));
                Files.writeString(d.resolve("hosts.toml"), String.join("\n",
                        "server = \"http://" + host + "\"",
                        "[host.\"http://" + host + "\"]",
                        "  capabilities = [\"pull\", \"resolve\", \"push\"]",
                        "  skip_verify = true",
                        ""));
            }
            return new Sandbox(dir, hosts, registry, links, daemons, release);
        } catch (IOException | RuntimeException e) {
            for (LinkProxy l : links.values()) {
                l.close();
            }
            registry.close();
            throw e;
        }
    }

    Registry registry() {
        return registry;
    }

    LinkProxy link(Net net) {
        return links.get(net);
    }

    Path hostsDir() {
        return hostsDir;
    }

    /** The registry host as the node sees it on {@code net}. */
    String host(Net net) {
        return "127.0.0.1:" + links.get(net).port();
    }

    /** The registry host without any proxy, for preparing images. */
    String registryHost() {
        return "127.0.0.1:" + registry.port();
    }

    /** The running snapshotter daemon, or null for overlayfs. */
    Daemons.Running snapshotter() {
        return snapshotter;
    }

    ContainerdService containerd() {
        return containerd;
    }

    /**
     * A node after a reboot: stops containerd and the snapshotter daemon, unmounts what they left, removes their
     * state (images, snapshots, caches), drops the kernel's page cache, and starts {@code kind}'s daemon (if any)
     * and containerd again, each waited for on its own ready message. The registry is another machine, whose cache
     * is not dropped: its {@code registryFiles} are read back into the page cache.
     */
    void coldStart(Mode.Snapshotter kind, List<Path> registryFiles) throws IOException, InterruptedException {
        stopNode();
        Command.of("sync").run(Duration.ofMinutes(2)).orThrow();
        Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "3");
        byte[] buf = new byte[1 << 20];
        for (Path f : registryFiles) {
            try (var in = Files.newInputStream(f)) {
                while (in.read(buf) >= 0) {
                    // reading is the point: the file's pages stay cached
                }
            }
        }
        Map<Mode.Snapshotter, Path> sockets = new EnumMap<>(Mode.Snapshotter.class);
        if (kind != Mode.Snapshotter.OVERLAYFS) {
            Path d = dir.resolve(kind.name);
            snapshotter = daemons.start(kind, d, hostsDir);
            sockets.put(kind, snapshotter.socket());
        }
        containerd = ContainerdService.start(release, dir.resolve("containerd"), hostsDir, sockets);
    }

    /** A containerd with the overlayfs snapshotter only, for converting images. */
    ContainerdService startPlainContainerd() throws IOException, InterruptedException {
        coldStart(Mode.Snapshotter.OVERLAYFS, List.of());
        return containerd;
    }

    private void stopNode() throws IOException {
        if (containerd != null) {
            containerd.close();
            containerd = null;
        }
        if (snapshotter != null) {
            snapshotter.service().close();
            snapshotter = null;
        }
        for (String sub : List.of("containerd", "jstargz", "stargz")) {
            Path p = dir.resolve(sub);
            unmountAllUnder(p);
            keepLogs(p);
            Command.of("rm", "-rf", p.toString()).run(Duration.ofMinutes(5)).orThrow();
        }
    }

    /** With {@code -Dbench.logs=DIR} (bench/run does it when asked for a log level), the daemons' logs are kept. */
    private void keepLogs(Path daemonDir) throws IOException {
        String keep = System.getProperty("bench.logs");
        if (keep == null || !Files.isDirectory(daemonDir)) {
            return;
        }
        Path into = Files.createDirectories(Path.of(keep));
        try (var logs = Files.list(daemonDir)) {
            for (Path log : logs.filter(f -> f.toString().endsWith(".log")).toList()) {
                Files.copy(log, into.resolve(++keptLogs + "-" + log.getFileName()));
            }
        }
    }

    /** Unmounts every mount point at or below {@code base}, deepest first (lazily if busy). */
    static void unmountAllUnder(Path base) throws IOException {
        for (Path mp : MountTable.mountPointsUnder(base)) {
            if (Command.of("umount", mp.toString()).run(Duration.ofSeconds(30)).exitCode() != 0) {
                Command.of("umount", "-l", mp.toString()).run(Duration.ofSeconds(30));
            }
        }
    }

    /** {@link #close}, reporting instead of throwing; safe to call twice (the shutdown hook and the normal end). */
    synchronized void closeQuietly() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            close();
        } catch (IOException | RuntimeException e) {
            System.err.println("bench: cleaning up " + dir + " failed: " + e.getMessage());
        }
    }

    @Override
    public void close() throws IOException {
        try {
            stopNode();
        } finally {
            try {
                for (LinkProxy l : links.values()) {
                    l.close();
                }
            } finally {
                registry.close();
                unmountAllUnder(dir);
                Command.of("rm", "-rf", dir.toString()).run(Duration.ofMinutes(5));
            }
        }
    }
}
