package io.jstargz.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.jstargz.snapshotter.config.ConfigLoader;
import io.jstargz.snapshotter.grpc.IntrospectionClient;
import io.jstargz.snapshotter.proto.introspection.Layer;
import io.jstargz.snapshotter.proto.introspection.ListLayersResponse;
import io.jstargz.snapshotter.proto.introspection.RemoteLayer;
import io.jstargz.text.Sizes;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jstargz status}: the snapshots a running daemon holds, and how each lazily pulled layer is doing. */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = {"Show the running daemon's snapshots and how each lazily pulled layer is doing.",
            "For each layer containerd asked it to pull lazily: image, layer digest, state (MOUNTED, FALLBACK,",
            "FAILED), bytes fetched of the layer's size, mount point, and for a fallback or failure the reason.",
            "Above them: the FUSE binding, what a crash does to the layers, the daemon's resident memory beside",
            "its process bound (set from the configuration), and its health: DEGRADED and why when it cannot keep",
            "up what it promises (the chunk cache's free space watermark)."})
final class StatusCommand implements Callable<Integer> {

    @Option(names = "--address", paramLabel = "SOCK",
            description = "The daemon's socket (default: the address in the configuration).")
    Path address;

    @Option(names = "--config", paramLabel = "FILE",
            description = "Configuration to take the address from (default: /etc/jstargz/config.toml if present).")
    Path config;

    @Option(names = "--namespace", paramLabel = "NS", defaultValue = "",
            description = "Only snapshots of this containerd namespace.")
    String namespace;

    @Option(names = "--json", description = "Print JSON instead of tables.")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Path socket = address != null ? address : ConfigLoader.load(config).address();
        ListLayersResponse status = IntrospectionClient.listLayers(socket, namespace);
        List<Layer> layers = status.getLayersList();
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> all = new LinkedHashMap<>();
            all.put("fuseBinding", status.getFuseBinding());
            all.put("crashSurvival", status.getCrashSurvival());
            all.put("upgrade", status.getUpgrade());
            all.put("residentBytes", status.getResidentBytes());
            all.put("memoryBoundBytes", status.getMemoryBoundBytes());
            all.put("degraded", status.getDegraded());
            all.put("snapshots", layers.stream().map(StatusCommand::toMap).toList());
            out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(all));
        } else {
            out.println("FUSE binding: " + dash(status.getFuseBinding()));
            out.println("crash survival: " + dash(status.getCrashSurvival()));
            out.println("upgrade: " + dash(status.getUpgrade()));
            out.println("memory: " + Sizes.human(status.getResidentBytes()) + " resident, bound "
                    + Sizes.human(status.getMemoryBoundBytes()));
            out.println("health: " + (status.getDegraded().isEmpty() ? "ok" : "DEGRADED: " + status.getDegraded()));
            out.println();
            printTables(out, layers);
        }
        return 0;
    }

    private static Map<String, Object> toMap(Layer l) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", l.getName());
        m.put("parent", l.getParent());
        m.put("kind", l.getKind());
        m.put("namespace", l.getNamespace());
        m.put("id", l.getId());
        m.put("sizeBytes", l.getSizeBytes());
        if (l.hasRemote()) {
            RemoteLayer r = l.getRemote();
            Map<String, Object> rm = new LinkedHashMap<>();
            rm.put("imageRef", r.getImageRef());
            rm.put("layerDigest", r.getLayerDigest());
            rm.put("tocDigest", r.getTocDigest());
            rm.put("mountPoint", r.getMountPoint());
            rm.put("state", r.getState().name());
            rm.put("reason", r.getReason());
            rm.put("fetchedBytes", r.getFetchedBytes());
            rm.put("totalBytes", r.getTotalBytes());
            m.put("remote", rm);
        }
        return m;
    }

    private static void printTables(PrintWriter out, List<Layer> layers) {
        List<List<String>> snapshots = new ArrayList<>();
        snapshots.add(List.of("SNAPSHOT", "KIND", "PARENT", "NAMESPACE", "LAYER"));
        List<List<String>> remotes = new ArrayList<>();
        remotes.add(List.of("IMAGE", "LAYER", "STATE", "FETCHED", "MOUNT POINT", "REASON"));
        for (Layer l : layers) {
            String state = l.hasRemote() ? l.getRemote().getState().name().toLowerCase(Locale.ROOT) : "-";
            snapshots.add(List.of(shorten(l.getName()), l.getKind(), dash(shorten(l.getParent())),
                    dash(l.getNamespace()), state));
            if (l.hasRemote()) {
                RemoteLayer r = l.getRemote();
                remotes.add(List.of(dash(r.getImageRef()), dash(shorten(r.getLayerDigest())), r.getState().name(),
                        fetched(r), r.getState() == RemoteLayer.State.FALLBACK ? "-" : r.getMountPoint(),
                        dash(r.getReason())));
            }
        }
        Table.print(out, snapshots);
        if (remotes.size() > 1) {
            out.println();
            Table.print(out, remotes);
        }
    }

    private static String fetched(RemoteLayer r) {
        if (r.getTotalBytes() <= 0) {
            return "-";
        }
        return Sizes.human(r.getFetchedBytes()) + " / " + Sizes.human(r.getTotalBytes()) + " ("
                + (100 * r.getFetchedBytes() / r.getTotalBytes()) + "%)";
    }

    /** {@code sha256:} digests in names cut to 12 hex digits: enough to tell layers apart in a table. */
    private static String shorten(String s) {
        return s.replaceAll("(sha256:[0-9a-f]{12})[0-9a-f]{52}", "$1");
    }

    private static String dash(String s) {
        return s.isEmpty() ? "-" : s;
    }
}
