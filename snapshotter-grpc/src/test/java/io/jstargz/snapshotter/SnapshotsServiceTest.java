package io.jstargz.snapshotter;

import static io.jstargz.snapshotter.Rpc.fails;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.jstargz.snapshotter.config.Config;
import io.jstargz.snapshotter.proto.introspection.Layer;
import io.jstargz.snapshotter.proto.introspection.ListLayersRequest;
import io.jstargz.snapshotter.proto.snapshots.Info;
import io.jstargz.snapshotter.proto.snapshots.Kind;
import io.jstargz.snapshotter.proto.snapshots.ListSnapshotsResponse;
import io.jstargz.snapshotter.proto.types.Mount;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Snapshots service through a real gRPC client on the real unix socket, case by case against the behaviour of
 * containerd 1.6's overlayfs snapshotter. Keys are namespace-prefixed as containerd's metadata layer sends them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SnapshotsServiceTest {
    private Daemon daemon;
    private GrpcClient client;
    private Rpc rpc;
    private Path snapshots;

    @BeforeAll
    void start(@TempDir Path tmp) throws Exception {
        Config config = Config.defaults().withRoot(tmp.resolve("root")).withAddress(tmp.resolve("run/j.sock"))
                .withWarmUp(false);
        daemon = Daemon.start(config);
        snapshots = config.root().resolve("snapshots");
        client = new GrpcClient(config.address());
        rpc = new Rpc(client.snapshots("default"));
    }

    @AfterAll
    void stop() throws Exception {
        client.close();
        daemon.close();
    }

    /** The snapshot's own fs directory: a bind mount's source, or an overlay's upperdir. */
    private static Path source(List<Mount> mounts) {
        Mount m = mounts.get(0);
        if (m.getType().equals("bind")) {
            return Path.of(m.getSource());
        }
        return Path.of(m.getOptionsList().stream().filter(o -> o.startsWith("upperdir=")).findFirst().orElseThrow()
                .substring("upperdir=".length()));
    }

    private static String indexOff() {
        return Files.exists(Path.of("/sys/module/overlay/parameters/index")) ? "index=off," : "";
    }

    private static String options(Mount m) {
        return String.join(",", m.getOptionsList());
    }

    @Test
    void prepareWithoutParentIsReadWriteBindOfNewUpperDir() {
        List<Mount> m = rpc.prepare("default/1/base", "");
        assertEquals(1, m.size());
        assertEquals("bind", m.get(0).getType());
        assertEquals(List.of("rw", "rbind"), m.get(0).getOptionsList());
        Path fs = source(m);
        assertEquals(snapshots, fs.getParent().getParent());
        assertEquals("fs", fs.getFileName().toString());
        assertTrue(Files.isDirectory(fs) && Files.isDirectory(fs.resolveSibling("work")));
        assertEquals(m, rpc.mounts("default/1/base"));
    }

    @Test
    void chainGivesOverlayNearestParentFirst() {
        Path a = source(rpc.prepare("chain/a-active", ""));
        rpc.commit("chain/a", "chain/a-active");
        Path b = source(rpc.prepare("chain/b-active", "chain/a"));
        rpc.commit("chain/b", "chain/b-active");
        List<Mount> mounts = rpc.prepare("chain/c", "chain/b");
        Mount m = mounts.get(0);
        assertEquals("overlay", m.getType());
        assertEquals("overlay", m.getSource());
        Path c = source(mounts);
        assertEquals(indexOff() + "workdir=" + c.resolveSibling("work") + ",upperdir=" + c
                + ",lowerdir=" + b + ":" + a, options(m));
    }

    @Test
    void viewsAreReadOnly() {
        assertEquals(List.of("ro", "rbind"), rpc.view("view/none", "").get(0).getOptionsList());
        Path a = source(rpc.prepare("view/a-active", ""));
        rpc.commit("view/a", "view/a-active");
        Mount one = rpc.view("view/one", "view/a").get(0);
        assertEquals("bind", one.getType());
        assertEquals(a.toString(), one.getSource());
        assertEquals(List.of("ro", "rbind"), one.getOptionsList());
        Path b = source(rpc.prepare("view/b-active", "view/a"));
        rpc.commit("view/b", "view/b-active");
        Mount two = rpc.view("view/two", "view/b").get(0);
        assertEquals("overlay", two.getType());
        assertEquals(indexOff() + "lowerdir=" + b + ":" + a, options(two));
        assertEquals(Kind.VIEW, rpc.stat("view/two").getKind());
    }

    @Test
    void commitMakesImmutableNamedSnapshotWithNewLabels() {
        Path fs = source(rpc.prepare("commit/key", "", Map.of("old", "1")));
        rpc.commit("commit/name", "commit/key", Map.of("new", "2"));
        Info info = rpc.stat("commit/name");
        assertEquals(Kind.COMMITTED, info.getKind());
        assertEquals(Map.of("new", "2"), info.getLabelsMap());
        assertEquals("", info.getParent());
        assertTrue(Files.isDirectory(fs), "the committed snapshot keeps its directory");
        fails(Status.Code.NOT_FOUND, () -> rpc.stat("commit/key"));
        fails(Status.Code.FAILED_PRECONDITION, () -> rpc.mounts("commit/name"));
        fails(Status.Code.FAILED_PRECONDITION, () -> rpc.commit("commit/again", "commit/name"));
        rpc.prepare("commit/child", "commit/name");
        assertEquals("commit/name", rpc.stat("commit/child").getParent());
    }

    @Test
    void errorsAreTheCodesContainerdMaps() {
        rpc.prepare("err/a", "");
        fails(Status.Code.ALREADY_EXISTS, () -> rpc.prepare("err/a", ""));
        fails(Status.Code.NOT_FOUND, () -> rpc.prepare("err/b", "err/missing"));
        fails(Status.Code.INVALID_ARGUMENT, () -> rpc.prepare("err/c", "err/a"));
        fails(Status.Code.INVALID_ARGUMENT, () -> rpc.prepare("", ""));
        rpc.view("err/v", "");
        fails(Status.Code.FAILED_PRECONDITION, () -> rpc.commit("err/v-committed", "err/v"));
        fails(Status.Code.NOT_FOUND, () -> rpc.commit("err/x", "err/missing"));
        rpc.layer("err/done", "");
        fails(Status.Code.ALREADY_EXISTS, () -> rpc.commit("err/done", "err/a"));
        fails(Status.Code.NOT_FOUND, () -> rpc.mounts("err/missing"));
        fails(Status.Code.NOT_FOUND, () -> rpc.stat("err/missing"));
        fails(Status.Code.NOT_FOUND, () -> rpc.remove("err/missing"));
        fails(Status.Code.NOT_FOUND, () -> rpc.usage("err/missing"));
        String msg = fails(Status.Code.NOT_FOUND, () -> rpc.stat("err/missing"));
        assertTrue(msg.endsWith(": not found"), msg);
    }

    @Test
    void removeRefusedWhileChildrenExistThenFreesDirectory() {
        Path parent = source(rpc.prepare("rm/p-active", ""));
        rpc.commit("rm/p", "rm/p-active");
        Path child = source(rpc.prepare("rm/c", "rm/p"));
        fails(Status.Code.FAILED_PRECONDITION, () -> rpc.remove("rm/p"));
        rpc.remove("rm/c");
        assertFalse(Files.exists(child.getParent()));
        rpc.remove("rm/p");
        assertFalse(Files.exists(parent.getParent()));
        fails(Status.Code.NOT_FOUND, () -> rpc.stat("rm/p"));
    }

    @Test
    void updateHonoursMasksAndImmutables() {
        rpc.prepare("upd/a", "", Map.of("keep", "k", "drop", "d"));
        Info in = Info.newBuilder().setName("upd/a").setKind(Kind.COMMITTED).setParent("other")
                .putLabels("add", "x").putLabels("keep", "changed").build();
        Info out = rpc.update(in, "labels.add", "labels.drop");
        assertEquals(Map.of("keep", "k", "add", "x"), out.getLabelsMap());
        assertEquals(Kind.ACTIVE, out.getKind());
        assertEquals("", out.getParent());
        assertEquals(Map.of("keep", "changed", "add", "x"), rpc.update(in, "labels").getLabelsMap());
        assertEquals(Map.of("only", "1"), rpc.update(Info.newBuilder().setName("upd/a").putLabels("only", "1").build())
                .getLabelsMap());
        assertEquals(Map.of("only", "1"), rpc.stat("upd/a").getLabelsMap());
        assertTrue(rpc.stat("upd/a").getUpdatedAt().getSeconds() >= rpc.stat("upd/a").getCreatedAt().getSeconds());
        fails(Status.Code.INVALID_ARGUMENT, () -> rpc.update(in, "parent"));
        fails(Status.Code.INVALID_ARGUMENT, () -> rpc.update(in, "name"));
        fails(Status.Code.NOT_FOUND, () -> rpc.update(Info.newBuilder().setName("upd/missing").build()));
    }

    @Test
    void labelPairsAreLimitedTo4096Bytes() {
        String key = "k".repeat(96);
        rpc.prepare("lbl/ok", "", Map.of(key, "v".repeat(4000)));
        String msg = fails(Status.Code.INVALID_ARGUMENT, () -> rpc.prepare("lbl/big", "", Map.of(key, "v".repeat(4001))));
        assertTrue(msg.contains("4096"), msg);
        fails(Status.Code.NOT_FOUND, () -> rpc.stat("lbl/big"));
        fails(Status.Code.INVALID_ARGUMENT, () -> rpc.commit("lbl/c", "lbl/ok", Map.of(key, "v".repeat(4001))));
        fails(Status.Code.INVALID_ARGUMENT, () -> rpc.update(Info.newBuilder().setName("lbl/ok")
                .putLabels(key, "v".repeat(4001)).build(), "labels"));
    }

    @Test
    void listFiltersWithContainerdSyntax() {
        rpc.prepare("lst/base-active", "", Map.of("containerd.io/snapshot.ref", "sha256:aa"));
        rpc.commit("lst/base", "lst/base-active", Map.of("containerd.io/snapshot.ref", "sha256:aa", "tier", "x"));
        rpc.prepare("lst/top", "lst/base", Map.of("tier", "y"));
        rpc.view("lst/view", "lst/base");
        assertEquals(List.of("lst/base"), rpc.list("labels.\"containerd.io/snapshot.ref\"==sha256:aa,parent==\"\""));
        assertEquals(List.of("lst/top", "lst/view"), rpc.list("parent==lst/base"));
        assertEquals(List.of("lst/top"), rpc.list("parent==lst/base,kind==active"));
        assertEquals(List.of("lst/base", "lst/top"), rpc.list("name~=^lst/,labels.tier"));
        // as containerd: != also matches a missing label
        assertEquals(List.of("lst/top", "lst/view"), rpc.list("name~=^lst/,labels.tier!=x"));
        assertEquals(List.of("lst/base", "lst/view"), rpc.list("name==lst/view", "name==lst/base,kind==committed"));
        assertTrue(rpc.list().containsAll(List.of("lst/base", "lst/top", "lst/view")));
        String msg = fails(Status.Code.INVALID_ARGUMENT, () -> rpc.list("name=="));
        assertTrue(msg.contains("parse error"), msg);
        fails(Status.Code.INVALID_ARGUMENT, () -> rpc.list("name~=("));
    }

    @Test
    void listStreamsInBatchesOf100() {
        Rpc batch = new Rpc(client.snapshots("batch"));
        for (int i = 0; i < 150; i++) {
            batch.view("batch/" + i, "");
        }
        List<ListSnapshotsResponse> messages = batch.listMessages("name~=^batch/");
        assertEquals(List.of(100, 50), messages.stream().map(ListSnapshotsResponse::getInfoCount).toList());
    }

    @Test
    void usageMeasuresActiveAndStoresCommitted() throws Exception {
        Path fs = source(rpc.prepare("use/a", ""));
        assertEquals(1, rpc.usage("use/a").getInodes());
        Files.write(fs.resolve("data"), new byte[100_000]);
        Files.createLink(fs.resolve("hardlink"), fs.resolve("data"));
        var active = rpc.usage("use/a");
        assertEquals(2, active.getInodes(), "a hard link counts once");
        assertTrue(active.getSize() >= 100_000, "size " + active.getSize());
        rpc.commit("use/c", "use/a");
        Files.write(fs.resolve("later"), new byte[100_000]);
        assertEquals(active, rpc.usage("use/c"), "committed usage is what was stored at commit");
    }

    @Test
    void namespaceComesFromTheHeaderElseFromTheKeyPrefix() {
        new Rpc(client.snapshots("ns-one")).prepare("ns-one/7/extract sha256:01", "");
        assertEquals("ns-one/7/extract sha256:01", rpc.stat("ns-one/7/extract sha256:01").getName());
        Rpc noHeader = new Rpc(client.snapshots());
        noHeader.prepare("k8s.io/12/extract sha256:02", "");
        noHeader.view("unprefixed", "");
        assertEquals(Map.of("ns-one/7/extract sha256:01", "ns-one", "k8s.io/12/extract sha256:02", "k8s.io",
                "unprefixed", ""), client.introspection().listLayers(ListLayersRequest.getDefaultInstance())
                .getLayersList().stream().filter(l -> l.getName().contains("sha256:0") || l.getName().equals(
                        "unprefixed")).collect(Collectors.toMap(Layer::getName, Layer::getNamespace)));
        List<Layer> one = client.introspection().listLayers(ListLayersRequest.newBuilder().setNamespace("ns-one")
                .build()).getLayersList();
        assertEquals(List.of("ns-one/7/extract sha256:01"), one.stream().map(Layer::getName).toList());
        assertEquals("active", one.get(0).getKind());
    }

    @Test
    void cleanupRemovesOnlyDirectoriesNoSnapshotOwns() throws Exception {
        Path kept = source(rpc.prepare("clean/kept", "")).getParent();
        Path orphan = Files.createDirectories(snapshots.resolve("987654/fs"));
        Files.writeString(orphan.resolve("f"), "x");
        Path temp = Files.createDirectories(snapshots.resolve("new-123"));
        rpc.cleanup();
        assertFalse(Files.exists(orphan.getParent()));
        assertFalse(Files.exists(temp));
        assertTrue(Files.isDirectory(kept));
        assertEquals(Map.of(), listing(snapshots).entrySet().stream()
                .filter(e -> e.getKey().startsWith("trash-")).collect(Collectors.toMap(Map.Entry::getKey,
                        Map.Entry::getValue)));
    }

    private static Map<String, Boolean> listing(Path dir) throws Exception {
        try (var s = Files.list(dir)) {
            return s.collect(Collectors.toMap(p -> p.getFileName().toString(), Files::isDirectory));
        }
    }
}
