package io.jstargz.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jstargz.remote.RegistryClient;
import io.jstargz.remote.RegistryConfig;
import io.jstargz.remote.auth.CredentialStore;
import io.jstargz.snapshotter.grpc.UnixChannel;
import io.jstargz.snapshotter.proto.cri.ImageServiceGrpc;
import io.jstargz.snapshotter.proto.cri.ImageSpec;
import io.jstargz.snapshotter.proto.cri.PullImageRequest;
import io.jstargz.snapshotter.proto.cri.PullImageResponse;
import io.jstargz.snapshotter.proto.snapshots.Info;
import io.jstargz.snapshotter.proto.snapshots.ListSnapshotsRequest;
import io.jstargz.snapshotter.proto.snapshots.SnapshotsGrpc;
import io.jstargz.testing.Containerd;
import io.jstargz.testing.RegistryAccessLog;
import io.jstargz.testing.RegistryServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kubernetes path: containerd's CRI plugin configured with {@code snapshotter = "jstargz"} and the snapshot
 * annotations on (containerd 1.6: {@code disable_snapshot_annotations = false}; 2.x: the proxy plugin's
 * {@code enable_remote_snapshot_annotations} export), asked to pull an eStargz image over CRI's {@code PullImage} as
 * kubelet asks; the layers are mounted lazily from the {@code cri.*} labels CRI passes.
 */
class CriPullIT {
    private static final String CRI_LAYER_DIGEST = "containerd.io/snapshot/cri.layer-digest";

    @Test
    void criPullImageMountsTheLayersLazily(@TempDir(cleanup = CleanupMode.ON_SUCCESS) Path tmp) throws Exception {
        Path socket = tmp.resolve("run/jstargz.sock");
        Path config = Files.writeString(tmp.resolve("config.toml"), "root = \"" + tmp.resolve("root") + "\"\n"
                + "address = \"" + socket + "\"\n[registry]\nhosts_dir = \"" + tmp.resolve("certs.d") + "\"\n"
                + DaemonProcess.fuseConfig());
        try (RegistryServer registry = RegistryServer.start();
             RegistryClient client = RegistryClient.create(RegistryConfig.builder()
                     .hostsDir(Path.of("/nonexistent")).build(), CredentialStore.ANONYMOUS);
             DaemonProcess daemon = DaemonProcess.start(config, socket, tmp.resolve("jstargz.log"));
             Containerd containerd = Containerd.start(new Containerd.Options(tmp.resolve("containerd"), socket,
                     tmp.resolve("root"), true))) {
            TestImage image = TestImage.pushEstargz(client, registry.host() + "/e2e/busybox:cri");
            int mark = registry.accessLogMark();
            PullImageResponse pulled;
            try (UnixChannel cri = new UnixChannel(containerd.address())) {
                pulled = CriCalls.inNamespace(ImageServiceGrpc.newBlockingStub(cri.channel()), "k8s.io")
                        .pullImage(PullImageRequest.newBuilder()
                                .setImage(ImageSpec.newBuilder().setImage(image.ref())).build());
            }
            assertTrue(pulled.getImageRef().startsWith("sha256:"), pulled.toString());

            List<Info> snapshots = new ArrayList<>();
            try (UnixChannel jstargz = new UnixChannel(socket)) {
                SnapshotsGrpc.newBlockingStub(jstargz.channel()).list(ListSnapshotsRequest.newBuilder()
                        .setSnapshotter(Containerd.SNAPSHOTTER).build()).forEachRemaining(r ->
                        snapshots.addAll(r.getInfoList()));
            }
            for (String digest : image.layerDigests()) {
                Info layer = snapshots.stream().filter(i -> digest.equals(i.getLabelsMap().get(CRI_LAYER_DIGEST)))
                        .findFirst().orElseThrow(() -> new AssertionError("no snapshot labelled with layer "
                                + digest + " by CRI: " + snapshots));
                assertEquals("remote snapshot", layer.getLabelsMap().get("containerd.io/snapshot/remote"));
                assertEquals(image.ref(), layer.getLabelsMap().get("containerd.io/snapshot/cri.image-ref"));
                assertEquals(1, daemon.logLines("mounted lazily").stream().filter(l -> l.contains(digest)).count());
            }
            assertTrue(daemon.status().values().stream().filter(s -> s.has("remote"))
                    .allMatch(s -> s.get("remote").get("state").asText().equals("MOUNTED")));
            registry.syncAccessLog();
            for (RegistryAccessLog.Entry e : registry.accessLog().since(mark,
                    e -> image.layerDigests().stream().anyMatch(d -> e.uri().endsWith(d)))) {
                assertTrue(e.status() == 206, "layers are only read in ranges: " + e);
            }
            List<String> content = TestImage.contentDigests(containerd, "k8s.io");
            for (String digest : image.layerDigests()) {
                assertFalse(content.contains(digest), "layer " + digest + " is not in containerd's content store");
            }
        }
    }
}
