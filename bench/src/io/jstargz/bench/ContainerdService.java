package io.jstargz.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * containerd in its own directory (root, state, sockets, config), with the proxy snapshotters {@code jstargz} and
 * {@code stargz} registered, the CRI plugin off; and {@code ctr}/{@code ctr-remote} against it. {@code ctr-remote}
 * labels the layers itself, so its lazy pulls need no snapshot annotations from containerd, on either release.
 */
final class ContainerdService implements AutoCloseable {
    static final String NAMESPACE = "bench";
    private static final Duration CTR_DEADLINE = Duration.ofMinutes(15);

    private final ContainerdRelease release;
    private final Path dir;
    private final Path address;
    private final Path hostsDir;
    private final Service service;

    private ContainerdService(ContainerdRelease release, Path dir, Path address, Path hostsDir, Service service) {
        this.release = release;
        this.dir = dir;
        this.address = address;
        this.hostsDir = hostsDir;
        this.service = service;
    }

    /** Starts containerd in {@code dir}; returns once it logged that it booted. */
    static ContainerdService start(ContainerdRelease release, Path dir, Path hostsDir,
                                   Map<Mode.Snapshotter, Path> proxySockets) throws IOException {
        Files.createDirectories(dir);
        Path address = dir.resolve("containerd.sock");
        Path config = dir.resolve("config.toml");
        Files.writeString(config, config(release, dir, address, proxySockets));
        // containerd finds its shim on PATH: this release's, not the system's
        Map<String, String> env = Map.of("PATH", release.binDir + ":" + System.getenv().getOrDefault("PATH",
                "/usr/sbin:/usr/bin:/sbin:/bin"));
        Service s = Service.start("containerd", List.of(release.containerd().toString(), "--config",
                config.toString()), env, dir.resolve("containerd.log"),
                l -> l.contains("containerd successfully booted"), null, Duration.ofSeconds(60));
        return new ContainerdService(release, dir, address, hostsDir, s);
    }

    /** Config version 2 for 1.6; version 3 for 2.1, where the CRI plugin is split in three and aufs is gone. */
    private static String config(ContainerdRelease release, Path dir, Path address,
                                 Map<Mode.Snapshotter, Path> proxySockets) {
        StringBuilder s = new StringBuilder();
        s.append("version = ").append(release.configV3() ? 3 : 2).append('\n');
        s.append("root = ").append(q(dir.resolve("root"))).append('\n');
        s.append("state = ").append(q(dir.resolve("state"))).append('\n');
        s.append("disabled_plugins = [\"io.containerd.grpc.v1.cri\",")
                .append(" \"io.containerd.snapshotter.v1.btrfs\", \"io.containerd.snapshotter.v1.zfs\",")
                .append(" \"io.containerd.snapshotter.v1.devmapper\", \"io.containerd.tracing.processor.v1.otlp\",")
                .append(" \"io.containerd.internal.v1.tracing\"");
        if (release.configV3()) {
            s.append(", \"io.containerd.cri.v1.images\", \"io.containerd.cri.v1.runtime\",")
                    .append(" \"io.containerd.podsandbox.controller.v1.podsandbox\",")
                    .append(" \"io.containerd.sandbox.controller.v1.shim\"]\n\n");
        } else {
            s.append(", \"io.containerd.snapshotter.v1.aufs\"]\nplugin_dir = \"\"\n\n");
        }
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
        return Cmd.run(Cmd.concat(List.of(release.ctr().toString(), "--address", address.toString(), "--namespace",
                NAMESPACE), args), CTR_DEADLINE).orThrow();
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
