package io.jstargz.testing;

import java.nio.file.Path;

/** The containerd config.toml (version 2, containerd 1.6/1.7) for {@link Containerd}. */
final class ContainerdConfig {
    private ContainerdConfig() {
    }

    static String render(Containerd.Options o, Path address) {
        Path d = o.dir();
        StringBuilder s = new StringBuilder();
        s.append("version = 2\n");
        s.append("root = ").append(q(d.resolve("root"))).append('\n');
        s.append("state = ").append(q(d.resolve("state"))).append('\n');
        s.append("plugin_dir = \"\"\n");
        // snapshotters and services this sandbox has no use for (or no kernel support for)
        s.append("disabled_plugins = [\"io.containerd.snapshotter.v1.aufs\", \"io.containerd.snapshotter.v1.btrfs\",")
                .append(" \"io.containerd.snapshotter.v1.zfs\", \"io.containerd.snapshotter.v1.devmapper\",")
                .append(" \"io.containerd.tracing.processor.v1.otlp\", \"io.containerd.internal.v1.tracing\"");
        if (!o.cri()) {
            s.append(", \"io.containerd.grpc.v1.cri\"");
        }
        s.append("]\n\n");
        s.append("[grpc]\n  address = ").append(q(address)).append('\n');
        s.append("[ttrpc]\n  address = ").append(q(Path.of(address + ".ttrpc"))).append('\n');
        s.append("[debug]\n  level = \"debug\"\n");
        s.append("[metrics]\n  address = \"\"\n\n");
        s.append("[proxy_plugins]\n");
        s.append("  [proxy_plugins.").append(Containerd.SNAPSHOTTER).append("]\n");
        s.append("    type = \"snapshot\"\n");
        s.append("    address = ").append(q(o.snapshotterSocket())).append('\n');
        s.append("    [proxy_plugins.").append(Containerd.SNAPSHOTTER).append(".exports]\n");
        s.append("      root = ").append(q(o.snapshotterRoot())).append("\n\n");
        s.append("[plugins]\n");
        s.append("  [plugins.\"io.containerd.internal.v1.opt\"]\n    path = ").append(q(d.resolve("opt")))
                .append('\n');
        if (o.cri()) {
            s.append("  [plugins.\"io.containerd.grpc.v1.cri\"]\n");
            s.append("    disable_tcp_service = true\n");
            s.append("    stream_server_address = \"127.0.0.1\"\n");
            s.append("    stream_server_port = \"0\"\n");
            s.append("    [plugins.\"io.containerd.grpc.v1.cri\".containerd]\n");
            s.append("      snapshotter = \"").append(Containerd.SNAPSHOTTER).append("\"\n");
            s.append("      disable_snapshot_annotations = false\n");
            s.append("    [plugins.\"io.containerd.grpc.v1.cri\".cni]\n");
            s.append("      bin_dir = ").append(q(d.resolve("cni/bin"))).append('\n');
            s.append("      conf_dir = ").append(q(d.resolve("cni/conf"))).append('\n');
        }
        return s.toString();
    }

    private static String q(Path p) {
        return "\"" + p.toString().replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
