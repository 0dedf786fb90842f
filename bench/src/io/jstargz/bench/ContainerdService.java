package io.jstargz.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * containerd in its own directory (root, state, sockets, config), with the proxy snapshotters {@code jstargz} and
 * {@code stargz} registered, the CRI plugin off; and {@code ctr}/{@code ctr-remote} against it.
 */
final class ContainerdService implements AutoCloseable {
    static final String NAMESPACE = "bench";
    private static final Duration CTR_DEADLINE = Duration.ofMinutes(15);

    private final Path dir;
    private final Path address;
    private final Path hostsDir;
    private final Service service;

    private ContainerdService(Path dir, Path address, Path hostsDir, Service service) {
        this.dir = dir;
        this.address = address;
        this.hostsDir = hostsDir;
        this.service = service;
    }

    /** Starts containerd in {@code dir}; returns once it logged that it booted. */
    static ContainerdService start(Path dir, Path hostsDir, Map<Mode.Snapshotter, Path> proxySockets)
            throws IOException {
        Files.createDirectories(dir);
        Path address = dir.resolve("containerd.sock");
        Path config = dir.resolve("config.toml");
        Files.writeString(config, config(dir, address, proxySockets));
        Service s = Service.start("containerd", List.of("/usr/bin/containerd", "--config", config.toString()),
                Map.of(), dir.resolve("containerd.log"), l -> l.contains("containerd successfully booted"), null,
                Duration.ofSeconds(60));
        return new ContainerdService(dir, address, hostsDir, s);
    }

    private static String config(Path dir, Path address, Map<Mode.Snapshotter, Path> proxySockets) {
        StringBuilder s = new StringBuilder();
        s.append("version = 2\n");
        s.append("root = ").append(q(dir.resolve("root"))).append('\n');
        s.append("state = ").append(q(dir.resolve("state"))).append('\n');
        s.append("plugin_dir = \"\"\n");
        s.append("disabled_plugins = [\"io.containerd.grpc.v1.cri\", \"io.containerd.snapshotter.v1.aufs\",")
                .append(" \"io.containerd.snapshotter.v1.btrfs\", \"io.containerd.snapshotter.v1.zfs\",")
                .append(" \"io.containerd.snapshotter.v1.devmapper\", \"io.containerd.tracing.processor.v1.otlp\",")
                .append(" \"io.containerd.internal.v1.tracing\"]\n\n");
        s.append("[grpc]\n  address = ").append(q(address)).append('\n');
        s.append("[ttrpc]\n  address = ").append(q(Path.of(address + ".ttrpc"))).append('\n');
        s.append("[debug]\n  level = \"info\"\n");
        s.append("[metrics]\n  address = \"\"\n\n");
        s.append("[plugins]\n  [plugins.\"io.containerd.internal.v1.opt\"]\n    path = ").append(q(dir.resolve("opt")))
                .append("\n\n");
        s.append("[proxy_plugins]\n");
        proxySockets.forEach((snapshotter, socket) -> {
            s.append("  [proxy_plugins.").append(snapshotter.name).append("]\n");
            s.append("    type = \"snapshot\"\n");
            s.append("    address = ").append(q(socket)).append('\n');
        });
        return s.toString();
    }

    private static String q(Path p) {
        return "\"" + p.toString().replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    /** {@code ctr --address A --namespace bench args...}, failing on a non-zero exit. */
    Cmd.Result ctr(String... args) throws IOException {
        return Cmd.run(Cmd.concat(List.of("/usr/bin/ctr", "--address", address.toString(), "--namespace", NAMESPACE),
                args), CTR_DEADLINE).orThrow();
    }

    /** {@code ctr-remote --address A --namespace bench args...}, failing on a non-zero exit. */
    Cmd.Result ctrRemote(String... args) throws IOException {
        return Cmd.run(Cmd.concat(List.of("/usr/bin/ctr-remote", "--address", address.toString(), "--namespace",
                NAMESPACE), args), CTR_DEADLINE).orThrow();
    }

    /** The hosts.toml directory that points the registry host names at plain HTTP on loopback. */
    String hostsDir() {
        return hostsDir.toString();
    }

    Path address() {
        return address;
    }

    Path dir() {
        return dir;
    }

    String logTail() {
        return service.logTail();
    }

    /** Stops containerd, then the runc shims it started (found by its socket address in their command line). */
    @Override
    public void close() {
        service.close();
        String marker = "-address " + address;
        ProcessHandle.allProcesses()
                .filter(h -> h.info().command().orElse("").endsWith("containerd-shim-runc-v2"))
                .filter(h -> String.join(" ", h.info().arguments().orElse(new String[0])).contains(marker))
                .forEach(h -> {
                    h.destroyForcibly();
                    h.onExit().orTimeout(10, java.util.concurrent.TimeUnit.SECONDS).exceptionally(t -> h).join();
                });
    }
}
