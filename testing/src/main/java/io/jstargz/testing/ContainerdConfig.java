package io.jstargz.testing;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The containerd config.toml for {@link Containerd}: version 2 for containerd 1.6, version 3 for 2.x. What differs
 * in 2.x: the CRI plugin is split into {@code io.containerd.cri.v1.images} (snapshotter) and
 * {@code io.containerd.cri.v1.runtime} (CNI), images are pulled through the transfer service, which unpacks only
 * into the snapshotters its {@code unpack_config} lists and passes the CRI snapshot labels only to a snapshotter
 * that exports {@code enable_remote_snapshot_annotations = "true"} ({@code disable_snapshot_annotations = false}
 * still works but turns the transfer service off for CRI), and {@code plugin_dir} is gone.
 */
final class ContainerdConfig {
    private ContainerdConfig() {
    }

    static String render(Containerd.Options o, Path address) {
        boolean v3 = o.release().configV3();
        Path d = o.dir();
        StringBuilder s = new StringBuilder();
        s.append("version = ").append(v3 ? 3 : 2).append('\n');
        s.append("root = ").append(q(d.resolve("root"))).append('\n');
        s.append("state = ").append(q(d.resolve("state"))).append('\n');
        if (!v3) {
            s.append("plugin_dir = \"\"\n");
        }
        s.append("disabled_plugins = [").append(String.join(", ", disabled(o).stream().map(p -> "\"" + p + "\"")
                .toList())).append("]\n\n");
        s.append("[grpc]\n  address = ").append(q(address)).append('\n');
        s.append("[ttrpc]\n  address = ").append(q(Path.of(address + ".ttrpc"))).append('\n');
        s.append("[debug]\n  level = \"debug\"\n");
        s.append("[metrics]\n  address = \"\"\n\n");
        s.append("[proxy_plugins]\n");
        s.append("  [proxy_plugins.").append(Containerd.SNAPSHOTTER).append("]\n");
        s.append("    type = \"snapshot\"\n");
        s.append("    address = ").append(q(o.snapshotterSocket())).append('\n');
        s.append("    [proxy_plugins.").append(Containerd.SNAPSHOTTER).append(".exports]\n");
        s.append("      root = ").append(q(o.snapshotterRoot())).append('\n');
        if (v3) {
            s.append("      enable_remote_snapshot_annotations = \"true\"\n");
        }
        s.append("\n[plugins]\n");
        s.append("  [plugins.\"io.containerd.internal.v1.opt\"]\n    path = ").append(q(d.resolve("opt")))
                .append('\n');
        if (v3) {
            for (String snapshotter : List.of(Containerd.SNAPSHOTTER, "overlayfs")) {
                s.append("  [[plugins.\"io.containerd.transfer.v1.local\".unpack_config]]\n");
                s.append("    platform = \"linux\"\n");
                s.append("    snapshotter = \"").append(snapshotter).append("\"\n");
            }
        }
        if (o.cri()) {
            s.append("  [plugins.\"io.containerd.grpc.v1.cri\"]\n");
            s.append("    disable_tcp_service = true\n");
            s.append("    stream_server_address = \"127.0.0.1\"\n");
            s.append("    stream_server_port = \"0\"\n");
            if (v3) {
                s.append("  [plugins.\"io.containerd.cri.v1.images\"]\n");
                s.append("    snapshotter = \"").append(Containerd.SNAPSHOTTER).append("\"\n");
                s.append("  [plugins.\"io.containerd.cri.v1.runtime\".cni]\n");
                s.append("    bin_dirs = [").append(q(d.resolve("cni/bin"))).append("]\n");
            } else {
                s.append("    [plugins.\"io.containerd.grpc.v1.cri\".containerd]\n");
                s.append("      snapshotter = \"").append(Containerd.SNAPSHOTTER).append("\"\n");
                s.append("      disable_snapshot_annotations = false\n");
                s.append("    [plugins.\"io.containerd.grpc.v1.cri\".cni]\n");
                s.append("      bin_dir = ").append(q(d.resolve("cni/bin"))).append('\n');
            }
            s.append("      conf_dir = ").append(q(d.resolve("cni/conf"))).append('\n');
        }
        return s.toString();
    }

    /** Snapshotters and services this sandbox has no use for (or no kernel support for). */
    private static List<String> disabled(Containerd.Options o) {
        List<String> out = new ArrayList<>(List.of("io.containerd.snapshotter.v1.btrfs",
                "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
                "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"));
        if (!o.release().configV3()) {
            out.add("io.containerd.snapshotter.v1.aufs");
        }
        if (!o.cri()) {
            out.add("io.containerd.grpc.v1.cri");
            if (o.release().configV3()) {
                out.addAll(List.of("io.containerd.cri.v1.images", "io.containerd.cri.v1.runtime",
                        "io.containerd.podsandbox.controller.v1.podsandbox",
                        "io.containerd.sandbox.controller.v1.shim"));
            }
        }
        return out;
    }

    private static String q(Path p) {
        return "\"" + p.toString().replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
