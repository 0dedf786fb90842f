package io.jstargz.snapshotter;

import static io.jstargz.snapshotter.Rpc.fails;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.jstargz.snapshotter.config.Config;
import io.jstargz.snapshotter.proto.introspection.Layer;
import io.jstargz.snapshotter.proto.introspection.ListLayersRequest;
import io.jstargz.snapshotter.proto.introspection.RemoteLayer;
import io.jstargz.snapshotter.proto.snapshots.Info;
import io.jstargz.snapshotter.proto.snapshots.Kind;
import io.jstargz.snapshotter.proto.snapshots.ListSnapshotsResponse;
import io.jstargz.snapshotter.proto.types.Mount;
import io.jstargz.snapshotter.sys.MountTable;
import io.jstargz.snapshotter.sys.Unmount;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The snapshotter's remote-layer state machine over gRPC, exactly as containerd's unpacker drives it, with layers
 * "mounted" by {@link BindMountLayers}.
 */
@SuppressWarnings("try") // a daemon kept open for the block
class RemoteLayersTest {
    private static final String REF = "containerd.io/snapshot.ref";
    @TempDir
    Path tmp;
    private Config config;
    private BindMountLayers layers;

    @BeforeEach
    void layers() throws Exception {
        config = Config.defaults().withRoot(tmp.resolve("root")).withAddress(tmp.resolve("j.sock"));
        layers = new BindMountLayers();
        for (String name : List.of("l1", "l2")) {
            Path dir = Files.createDirectories(tmp.resolve("registry/" + name));
            Files.writeString(dir.resolve(name + ".txt"), "from " + name);
            layers.registry.put("sha256:" + name, dir);
        }
    }

    /** Prepare labels as containerd's CRI plugin sends them for layer {@code digest}. */
    private static Map<String, String> labels(String chain, String digest) {
        return Map.of(REF, chain,
                "containerd.io/snapshot/cri.image-ref", "127.0.0.1:5000/app:1",
                "containerd.io/snapshot/cri.layer-digest", digest,
                "containerd.io/snapshot/cri.image-layers", "sha256:l1,sha256:l2");
    }

    /** Unpacks the two-layer image as containerd does: each layer answers ALREADY_EXISTS. */
    private void unpack(Rpc rpc, String ns) {
        fails(Status.Code.ALREADY_EXISTS, () -> rpc.prepare(ns + "/1/extract-1 sha256:c1", "",
                labels("sha256:c1", "sha256:l1")));
        fails(Status.Code.ALREADY_EXISTS, () -> rpc.prepare(ns + "/2/extract-2 sha256:c2", "sha256:c1",
                labels("sha256:c2", "sha256:l2")));
    }

    private static Map<String, Layer> status(GrpcClient c) {
        Map<String, Layer> out = new HashMap<>();
        c.introspection().listLayers(ListLayersRequest.getDefaultInstance()).getLayersList()
                .forEach(l -> out.put(l.getName(), l));
        return out;
    }

    private static Path upper(Mount m) {
        return Path.of(m.getOptionsList().stream().filter(o -> o.startsWith("upperdir=")).findFirst().orElseThrow()
                .substring("upperdir=".length()));
    }

    @Test
    void mountedLayersAreCommittedUnderTheirTargetForContainerdToFind() throws Exception {
        try (Daemon d = Daemon.start(config, layers); GrpcClient c = new GrpcClient(config.address())) {
            Rpc rpc = new Rpc(c.snapshots("default"));
            unpack(rpc, "default");
            // what containerd's metadata layer does after ALREADY_EXISTS
            List<ListSnapshotsResponse> found = rpc.listMessages(
                    "labels.\"containerd.io/snapshot.ref\"==sha256:c2,parent==\"sha256:c1\"");
            Info c2 = found.get(0).getInfo(0);
            assertEquals(Kind.COMMITTED, c2.getKind());
            assertEquals("sha256:c2", c2.getName());
            assertEquals("sha256:c1", c2.getParent());
            assertEquals("remote snapshot", c2.getLabelsOrThrow("containerd.io/snapshot/remote"));
            fails(Status.Code.NOT_FOUND, () -> rpc.stat("default/1/extract-1 sha256:c1"));
            assertEquals(0, rpc.usage("sha256:c2").getSize());
            assertEquals(List.of("sha256:l2"), layers.neighbourCalls.get(0).neighbours());

            // a container on top sees both layers through a real overlay mount
            Mount m = rpc.prepare("default/3/ctr", "sha256:c2").get(0);
            Path target = Files.createDirectories(tmp.resolve("rootfs"));
            TestMounts.run("mount", "-t", "overlay", "overlay", "-o", String.join(",", m.getOptionsList()),
                    target.toString());
            try {
                assertEquals("from l1", Files.readString(target.resolve("l1.txt")));
                assertEquals("from l2", Files.readString(target.resolve("l2.txt")));
                Files.writeString(target.resolve("new.txt"), "written");
                assertEquals("written", Files.readString(upper(m).resolve("new.txt")));
            } finally {
                Unmount.detach(target);
            }
            assertFalse(Files.exists(tmp.resolve("registry/l2/new.txt")), "layers stay read-only");

            RemoteLayer r = status(c).get("sha256:c1").getRemote();
            assertEquals(RemoteLayer.State.MOUNTED, r.getState());
            assertEquals("127.0.0.1:5000/app:1", r.getImageRef());
            assertEquals("sha256:l1", r.getLayerDigest());
            assertEquals("sha256:toc-of-l1", r.getTocDigest());
            assertEquals(5, r.getFetchedBytes());
            assertEquals(10, r.getTotalBytes());
            assertTrue(MountTable.isMountPoint(Path.of(r.getMountPoint())));

            // another namespace pulling the same image reuses the mounted layers without mounting again
            int before = layers.prepareCalls.get();
            unpack(new Rpc(c.snapshots("k8s.io")), "k8s.io");
            assertEquals(before, layers.prepareCalls.get());

            fails(Status.Code.FAILED_PRECONDITION, () -> rpc.remove("sha256:c1"));
            rpc.remove("default/3/ctr");
            rpc.remove("sha256:c2");
            Path mp = Path.of(r.getMountPoint());
            rpc.remove("sha256:c1");
            assertFalse(MountTable.isMountPoint(mp));
            assertFalse(Files.exists(mp));
            assertEquals("from l1", Files.readString(tmp.resolve("registry/l1/l1.txt")));
        }
    }

    @Test
    void fallbackGivesOrdinaryMountsAndRecordsWhy() throws Exception {
        try (Daemon d = Daemon.start(config, layers); GrpcClient c = new GrpcClient(config.address())) {
            Rpc rpc = new Rpc(c.snapshots("default"));
            List<Mount> m = rpc.prepare("default/1/extract sha256:c9", "", labels("sha256:c9", "sha256:l9"));
            assertEquals(List.of("rw", "rbind"), m.get(0).getOptionsList());
            rpc.commit("default/2/sha256:c9", "default/1/extract sha256:c9", Map.of(REF, "sha256:c9"));
            RemoteLayer r = status(c).get("default/2/sha256:c9").getRemote();
            assertEquals(RemoteLayer.State.FALLBACK, r.getState());
            assertEquals("layer sha256:l9 is not in the test registry", r.getReason());
            assertEquals("sha256:l9", r.getLayerDigest());

            rpc.prepare("default/3/extract sha256:c8", "", Map.of(REF, "sha256:c8"));
            String reason = status(c).get("default/3/extract sha256:c8").getRemote().getReason();
            assertTrue(reason.contains("disable_snapshot_annotations = false"), reason);
        }
        try (Daemon d = Daemon.start(config); GrpcClient c = new GrpcClient(config.address())) {
            List<Mount> m = new Rpc(c.snapshots("default")).prepare("default/4/extract sha256:c7", "",
                    labels("sha256:c7", "sha256:l1"));
            assertEquals("bind", m.get(0).getType());
            assertEquals("remote layers not configured",
                    status(c).get("default/4/extract sha256:c7").getRemote().getReason());
        }
    }

    @Test
    void unavailableLayerFailsMountsAndPrepareWithTheReason() throws Exception {
        try (Daemon d = Daemon.start(config, layers); GrpcClient c = new GrpcClient(config.address())) {
            Rpc rpc = new Rpc(c.snapshots("default"));
            unpack(rpc, "default");
            rpc.prepare("default/3/ctr", "sha256:c2");
            layers.unreachable.put("sha256:l1", "registry 127.0.0.1:5000 unreachable");
            String msg = fails(Status.Code.UNAVAILABLE, () -> rpc.mounts("default/3/ctr"));
            assertTrue(msg.contains("registry 127.0.0.1:5000 unreachable") && msg.contains("sha256:l1"), msg);
            fails(Status.Code.UNAVAILABLE, () -> rpc.prepare("default/4/ctr2", "sha256:c2"));
            fails(Status.Code.NOT_FOUND, () -> rpc.stat("default/4/ctr2"));
            layers.unreachable.clear();
            assertEquals("overlay", rpc.mounts("default/3/ctr").get(0).getType());
        }
    }

    @Test
    void restartRestoresMountsAndRetriesFailedOnesOnUse() throws Exception {
        Path mp;
        try (Daemon d = Daemon.start(config, layers); GrpcClient c = new GrpcClient(config.address())) {
            Rpc rpc = new Rpc(c.snapshots("default"));
            unpack(rpc, "default");
            rpc.prepare("default/3/ctr", "sha256:c2");
            mp = Path.of(status(c).get("sha256:c1").getRemote().getMountPoint());
        }
        assertFalse(MountTable.isMountPoint(mp), "closing the daemon unmounts remote layers");

        BindMountLayers afterRestart = new BindMountLayers();
        afterRestart.registry.put("sha256:l2", layers.registry.get("sha256:l2"));
        try (Daemon d = Daemon.start(config, afterRestart); GrpcClient c = new GrpcClient(config.address())) {
            Rpc rpc = new Rpc(c.snapshots("default"));
            assertTrue(MountTable.isMountPoint(Path.of(status(c).get("sha256:c2").getRemote().getMountPoint())));
            RemoteLayer failed = status(c).get("sha256:c1").getRemote();
            assertEquals(RemoteLayer.State.FAILED, failed.getState());
            assertTrue(failed.getReason().contains("gone from the test registry"), failed.getReason());
            fails(Status.Code.UNAVAILABLE, () -> rpc.mounts("default/3/ctr"));

            afterRestart.registry.put("sha256:l1", layers.registry.get("sha256:l1"));
            assertEquals("overlay", rpc.mounts("default/3/ctr").get(0).getType());
            assertEquals(RemoteLayer.State.MOUNTED, status(c).get("sha256:c1").getRemote().getState());
            assertEquals("from l1", Files.readString(mp.resolve("l1.txt")));
        }
    }
}
