package io.jstargz.snapshotter;

import static io.jstargz.snapshotter.Rpc.fails;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.jstargz.estargz.BlobFormat;
import io.jstargz.estargz.ConvertOptions;
import io.jstargz.estargz.ExternalTocSource;
import io.jstargz.estargz.Footer;
import io.jstargz.mount.MountTable;
import io.jstargz.remote.Digest;
import io.jstargz.remote.ImageReference;
import io.jstargz.remote.RegistryBlobSource;
import io.jstargz.remote.RegistryClient;
import io.jstargz.remote.RegistryConfig;
import io.jstargz.remote.auth.CredentialStore;
import io.jstargz.snapshotter.PushedLayers.Pushed;
import io.jstargz.snapshotter.config.Config;
import io.jstargz.snapshotter.config.ConfigLoader;
import io.jstargz.snapshotter.proto.introspection.Layer;
import io.jstargz.snapshotter.proto.introspection.ListLayersRequest;
import io.jstargz.snapshotter.proto.introspection.RemoteLayer;
import io.jstargz.snapshotter.proto.snapshots.Info;
import io.jstargz.snapshotter.proto.snapshots.Kind;
import io.jstargz.snapshotter.proto.types.Mount;
import io.jstargz.testing.LayerBuilder;
import io.jstargz.testing.RegistryAccessLog;
import io.jstargz.testing.RegistryServer;
import io.jstargz.testing.TcpProxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Lazily pulled layers through the daemon's gRPC API, driven exactly as containerd's unpacker drives it, against a
 * real registry, with real FUSE mounts and real overlay mounts on top.
 */
@SuppressWarnings("try") // daemons and clients kept open for a block
class RemoteLayersTest {
    private static final String REF = "containerd.io/snapshot.ref";
    private static final String TOC = "containerd.io/snapshot/stargz/toc.digest";
    private static final Duration DEADLINE = Duration.ofSeconds(60);
    private static final byte[] BIG = new byte[3 << 20];
    private static RegistryServer registry;
    private static TcpProxy proxy;
    private static RegistryClient client;
    private static Pushed l1;
    private static Pushed l2;
    private static Pushed big;
    private static Pushed gzip;
    /** A layer of 3 MiB and 3,000 small files: its TOC is larger than the tail of a layer opened ahead. */
    private static Pushed many;

    @TempDir
    Path tmp;

    @BeforeAll
    static void pushLayers() throws Exception {
        registry = RegistryServer.start();
        proxy = new TcpProxy(registry.port());
        client = RegistryClient.create(RegistryConfig.builder().hostsDir(Path.of("/nonexistent")).build(),
                CredentialStore.ANONYMOUS);
        ImageReference repo = ImageReference.parse(registry.host() + "/app:1");
        l1 = PushedLayers.estargz(client, repo, new LayerBuilder().file("etc/l1.txt", "from l1\n")
                .file("bin/app", "#!/bin/sh\necho app\n".getBytes(), 0755), "bin/app");
        l2 = PushedLayers.estargz(client, repo, new LayerBuilder().file("l2.txt", "from l2\n"));
        new Random(7).nextBytes(BIG);
        big = PushedLayers.estargz(client, repo, new LayerBuilder().file("data/big.bin", BIG, 0644)
                .file("data/small.txt", "small\n"));
        gzip = PushedLayers.gzip(client, repo, new LayerBuilder().file("plain.txt", "plain\n"));
        LayerBuilder files = new LayerBuilder().file("data/big.bin", BIG, 0644);
        for (int i = 0; i < 3000; i++) {
            files.file("many/file-" + i + ".txt", "file " + i + "\n");
        }
        many = PushedLayers.estargz(client, repo, files);
    }

    @AfterAll
    static void stopRegistry() throws Exception {
        client.close();
        proxy.close();
        registry.close();
    }

    /**
     * A daemon's configuration: without warm-up (but where {@code extraToml} asks for it), and background fetches
     * starting right after the prefetch (unless {@code extraToml} has a {@code [fetch]} table).
     */
    private Config config(String root, String extraToml) throws Exception {
        String warmUp = extraToml.contains("warm_up") ? "" : "warm_up = false\n";
        String fetch = extraToml.contains("[fetch]") ? "" : "[fetch]\nbackground_quiet_seconds = 0\n";
        return ConfigLoader.parse("root = \"" + tmp.resolve(root) + "\"\naddress = \"" + tmp.resolve(root + ".sock")
                + "\"\n" + warmUp + extraToml + "\n" + fetch + "[registry]\nhosts_dir = \"" + tmp.resolve("no-hosts")
                + "\"\n", "test");
    }

    /** Prepare labels as containerd's CRI plugin sends them for {@code layer} of a two-layer image. */
    private static Map<String, String> labels(String host, String chain, Pushed layer, String... neighbours) {
        Map<String, String> m = new HashMap<>(Map.of(REF, chain,
                "containerd.io/snapshot/cri.image-ref", host + "/app:1",
                "containerd.io/snapshot/cri.layer-digest", layer.digest(),
                "containerd.io/snapshot/cri.image-layers", String.join(",", neighbours)));
        if (layer.tocDigest() != null) {
            m.put(TOC, layer.tocDigest());
        }
        return m;
    }

    /** Unpacks the image of l1 and l2 as containerd does: each layer answers ALREADY_EXISTS. */
    private static void unpack(Rpc rpc, String ns) {
        fails(Status.Code.ALREADY_EXISTS, () -> rpc.prepare(ns + "/1/extract-1 sha256:c1", "",
                labels(registry.host(), "sha256:c1", l1, l1.digest(), l2.digest())));
        fails(Status.Code.ALREADY_EXISTS, () -> rpc.prepare(ns + "/2/extract-2 sha256:c2", "sha256:c1",
                labels(registry.host(), "sha256:c2", l2, l2.digest())));
    }

    private static Map<String, Layer> status(GrpcClient c) {
        Map<String, Layer> out = new HashMap<>();
        c.introspection().listLayers(ListLayersRequest.getDefaultInstance()).getLayersList()
                .forEach(l -> out.put(l.getName(), l));
        return out;
    }

    /** Mounts {@code m} (containerd's overlay of a container snapshot) at a new directory. */
    private Path mount(Mount m) throws Exception {
        Path target = Files.createTempDirectory(tmp, "rootfs");
        TestMounts.run("mount", "-t", m.getType(), m.getSource(), "-o", String.join(",", m.getOptionsList()),
                target.toString());
        return target;
    }

    private static void unmount(Path target) throws Exception {
        TestMounts.run("umount", target.toString());
    }

    private static List<Path> files(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }

    @Test
    void layersMountLazilyWithOneRequestEachAndAreCommittedForContainerd() throws Exception {
        Config config = config("root", "metrics_address = \"127.0.0.1:0\"\nwarm_up = true");
        try (LogWatch log = new LogWatch(); Daemon d = Daemon.start(config);
             GrpcClient c = new GrpcClient(config.address())) {
            // the warm-up ran the whole path on its own layer and left nothing behind
            log.await(DEADLINE, "warmed up in");
            assertEquals(List.of(config.root().resolve("warmup/layer-3.esgz")), files(config.root().resolve("warmup")));

            Rpc rpc = new Rpc(c.snapshots("default"));
            int mark = registry.accessLogMark();
            unpack(rpc, "default");
            registry.syncAccessLog();
            // l2 was opened in parallel while l1 was prepared; each small layer came whole with the read of its tail
            List<RegistryAccessLog.Entry> requests = registry.accessLog().since(mark);
            assertEquals(2, requests.size(), requests::toString);
            for (RegistryAccessLog.Entry e : requests) {
                assertTrue(e.isBlobGet() && e.status() == 206, e.toString());
            }
            assertTrue(requests.stream().anyMatch(e -> e.uri().endsWith(l1.digest())), requests::toString);
            assertTrue(requests.stream().anyMatch(e -> e.uri().endsWith(l2.digest())), requests::toString);

            // what containerd's metadata layer looks for after ALREADY_EXISTS
            Info c2 = rpc.listMessages("labels.\"containerd.io/snapshot.ref\"==sha256:c2,parent==\"sha256:c1\"")
                    .get(0).getInfo(0);
            assertEquals(Kind.COMMITTED, c2.getKind());
            assertEquals("sha256:c1", c2.getParent());
            assertEquals("remote snapshot", c2.getLabelsOrThrow("containerd.io/snapshot/remote"));
            fails(Status.Code.NOT_FOUND, () -> rpc.stat("default/1/extract-1 sha256:c1"));

            // a container on top sees both layers through overlay on the FUSE mounts
            Path rootfs = mount(rpc.prepare("default/3/ctr", "sha256:c2").get(0));
            try {
                assertEquals("from l1\n", Files.readString(rootfs.resolve("etc/l1.txt")));
                assertEquals("from l2\n", Files.readString(rootfs.resolve("l2.txt")));
                assertTrue(Files.isExecutable(rootfs.resolve("bin/app")));
                Files.writeString(rootfs.resolve("new.txt"), "written");
            } finally {
                unmount(rootfs);
            }
            registry.syncAccessLog();
            assertEquals(2, registry.accessLog().since(mark).size(), "reads were served from what was fetched");

            RemoteLayer r = status(c).get("sha256:c1").getRemote();
            assertEquals(RemoteLayer.State.MOUNTED, r.getState());
            assertEquals(registry.host() + "/app:1", r.getImageRef());
            assertEquals(l1.digest(), r.getLayerDigest());
            assertEquals(l1.tocDigest(), r.getTocDigest());
            assertEquals(l1.size(), r.getTotalBytes());
            assertTrue(r.getFetchedBytes() > 0 && r.getFetchedBytes() <= l1.size(), r.toString());
            Path mp = Path.of(r.getMountPoint());
            assertEquals("fuse.jstargz", MountTable.at(mp).orElseThrow().fsType());
            assertEquals(2, files(config.root().resolve("layers")).size(), "the TOCs are kept for restarts");
            String metrics = Scrape.of("http://127.0.0.1:" + d.metricsPort().orElseThrow() + "/metrics").text();
            for (String line : List.of("jstargz_remote_layers{state=\"mounted\"} 2.0", "jstargz_mounted_layers 2.0",
                    "jstargz_operation_duration_seconds_count{op=\"mount\"} 2",
                    "jstargz_registry_requests_total 2.0")) {
                assertTrue(metrics.lines().anyMatch(l -> l.equals(line)), line + " in:\n" + metrics);
            }
            // the container's reads went through FUSE: counted, with the time their handlers took
            String reads = "jstargz_fuse_operation_seconds_%s\\{op=\"read\"} %s";
            assertTrue(metrics.lines().anyMatch(l -> l.matches(reads.formatted("count", "[1-9]\\d*"))), metrics);
            assertTrue(metrics.lines().anyMatch(l -> l.matches(reads.formatted("sum", "\\S+"))
                    && !l.endsWith(" 0.0")), metrics);

            // another namespace pulling the same image finds the layers committed: nothing is fetched or mounted
            int again = registry.accessLogMark();
            unpack(new Rpc(c.snapshots("k8s.io")), "k8s.io");
            registry.syncAccessLog();
            assertEquals(List.of(), registry.accessLog().since(again));

            fails(Status.Code.FAILED_PRECONDITION, () -> rpc.remove("sha256:c1"));
            rpc.remove("default/3/ctr");
            rpc.remove("sha256:c2");
            rpc.remove("sha256:c1");
            assertTrue(MountTable.at(mp).isEmpty());
            assertFalse(Files.exists(mp));
            assertEquals(List.of(), files(config.root().resolve("layers")), "removed layers keep nothing");
        }
    }

    /**
     * The layers opened ahead of their Prepares read a small tail, then exactly the rest of their TOC: not the 512 KiB
     * a Prepare's own layer reads at once, most of which would be file data at the blob's end.
     */
    @Test
    void aLayerOpenedAheadReadsASmallTailThenExactlyItsToc() throws Exception {
        Config config = config("root", "[fetch]\nprefetch = false\nbackground_fetch = false");
        try (Daemon d = Daemon.start(config); GrpcClient c = new GrpcClient(config.address())) {
            Rpc rpc = new Rpc(c.snapshots("default"));
            int mark = registry.accessLogMark();
            fails(Status.Code.ALREADY_EXISTS, () -> rpc.prepare("default/1/extract-1 sha256:m1", "",
                    labels(registry.host(), "sha256:m1", l1, l1.digest(), many.digest())));
            fails(Status.Code.ALREADY_EXISTS, () -> rpc.prepare("default/2/extract-2 sha256:m2", "sha256:m1",
                    labels(registry.host(), "sha256:m2", many, many.digest())));
            registry.syncAccessLog();
            List<RegistryAccessLog.Entry> opening = registry.accessLog().since(mark).stream()
                    .filter(e -> e.uri().endsWith(many.digest())).toList();
            assertEquals(2, opening.size(), "a small tail, then the rest of the TOC: " + opening);
            long bytes = opening.stream().mapToLong(RegistryAccessLog.Entry::bytesWritten).sum();
            long toc = tocAndFooterBytes(many);
            assertTrue(bytes >= toc && bytes < toc + (64 << 10), bytes + " bytes for a TOC of " + toc);
        }
    }

    /** The bytes of {@code layer}'s blob from its TOC's start to its end, as its footer says. */
    private static long tocAndFooterBytes(Pushed layer) throws Exception {
        try (RegistryBlobSource blob = client.openBlob(ImageReference.parse(registry.host() + "/app:1"),
                Digest.parse(layer.digest()), layer.size())) {
            byte[] tail = blob.read(layer.size() - Footer.MAX_SIZE, Footer.MAX_SIZE);
            return layer.size() - Footer.parse(tail, 0, tail.length, layer.size(), layer.digest()).tocOffset();
        }
    }

    @Test
    void layersThatCannotBeMountedLazilyFallBackToANormalPullAndSayWhy() throws Exception {
        Config config = config("root", "");
        String host = registry.host();
        String unknown = "sha256:" + "ab".repeat(32);
        Map<String, String> skipVerify = labels(host, "sha256:c5", new Pushed(l2.digest(), null, 0));
        skipVerify.put("containerd.io/snapshot/remote/stargz.skipverify", "true");
        Map<String, Map<String, String>> cases = Map.of(
                "it is not eStargz", labels(host, "sha256:c1", new Pushed(gzip.digest(), l1.tocDigest(), 0)),
                "it has no TOC digest annotation", labels(host, "sha256:c2", new Pushed(l1.digest(), null, 0)),
                "its TOC digest is " + l1.tocDigest() + ", not the " + l2.tocDigest(),
                labels(host, "sha256:c3", new Pushed(l1.digest(), l2.tocDigest(), 0)),
                "the registry does not have it", labels(host, "sha256:c4", new Pushed(unknown, l1.tocDigest(), 0)),
                "skipping verification (stargz.skipverify) is not allowed", skipVerify);
        try (Daemon d = Daemon.start(config); GrpcClient c = new GrpcClient(config.address())) {
            Rpc rpc = new Rpc(c.snapshots("default"));
            for (Map.Entry<String, Map<String, String>> e : cases.entrySet()) {
                String chain = e.getValue().get(REF);
                String key = "default/1/extract " + chain;
                List<Mount> m = rpc.prepare(key, "", e.getValue());
                assertEquals(List.of("rw", "rbind"), m.get(0).getOptionsList(), "an ordinary snapshot for " + chain);
                assertTrue(MountTable.at(Path.of(m.get(0).getSource())).isEmpty());
                RemoteLayer r = status(c).get(key).getRemote();
                assertEquals(RemoteLayer.State.FALLBACK, r.getState());
                assertTrue(r.getReason().contains(e.getKey()), e.getKey() + " in: " + r.getReason());
                rpc.commit("default/2/" + chain, key, Map.of(REF, chain));
            }
        }
        Config lenient = config("lenient", "allow_no_verification = true");
        try (Daemon d = Daemon.start(lenient); GrpcClient c = new GrpcClient(lenient.address())) {
            fails(Status.Code.ALREADY_EXISTS, () -> new Rpc(c.snapshots("default"))
                    .prepare("default/1/extract sha256:c5", "", skipVerify));
            assertEquals(RemoteLayer.State.MOUNTED, status(c).get("sha256:c5").getRemote().getState());
        }
    }

    @Test
    void everyFormatOfTheStargzFamilyMountsLazilyAndAMissingTocImageFallsBack() throws Exception {
        ImageReference image = ImageReference.parse(registry.host() + "/formats:1");
        LayerBuilder files = new LayerBuilder().file("etc/fmt.txt", "format\n").file("data/big.bin", BIG, 0644);
        PushedLayers.Converted external = PushedLayers.converted(client, image, files,
                ConvertOptions.defaults().withFormat(BlobFormat.ESTARGZ_EXTERNAL_TOC));
        PushedLayers.tocImage(client, image, external);
        Map<String, Pushed> layers = Map.of(
                "sha256:f1", PushedLayers.converted(client, image, files,
                        ConvertOptions.defaults().withFormat(BlobFormat.ZSTD_CHUNKED)).pushed(),
                "sha256:f2", PushedLayers.converted(client, image, files,
                        ConvertOptions.defaults().withMinChunkSize(16 << 10)).pushed(),
                "sha256:f3", external.pushed());
        Path repo = Path.of(System.getProperty("jstargz.repo", ".."));
        Pushed crfs = PushedLayers.file(client, image, repo.resolve("testdata/estargz/small1-chunk64k-crfs.stargz"),
                null);
        Config config = config("root", "allow_no_verification = true");
        try (Daemon d = Daemon.start(config); GrpcClient c = new GrpcClient(config.address())) {
            Rpc rpc = new Rpc(c.snapshots("default"));
            for (Map.Entry<String, Pushed> e : layers.entrySet()) {
                String chain = e.getKey();
                fails(Status.Code.ALREADY_EXISTS, () -> rpc.prepare("default/1/extract " + chain, "",
                        formatLabels(image, chain, e.getValue())));
                assertEquals(RemoteLayer.State.MOUNTED, status(c).get(chain).getRemote().getState(), chain);
                Path rootfs = mount(rpc.prepare("default/2/ctr " + chain, chain).get(0));
                try {
                    assertEquals("format\n", Files.readString(rootfs.resolve("etc/fmt.txt")), chain);
                    assertArrayEquals(BIG, Files.readAllBytes(rootfs.resolve("data/big.bin")), chain);
                } finally {
                    unmount(rootfs);
                }
            }

            // legacy stargz (CRFS) has no TOC digest: mounted with skipverify, its files verified whole
            Map<String, String> skipVerify = formatLabels(image, "sha256:f4", crfs);
            skipVerify.put("containerd.io/snapshot/remote/stargz.skipverify", "true");
            fails(Status.Code.ALREADY_EXISTS, () -> rpc.prepare("default/1/extract sha256:f4", "", skipVerify));
            Path rootfs = mount(rpc.prepare("default/2/ctr sha256:f4", "sha256:f4").get(0));
            try {
                byte[] big = Files.readAllBytes(rootfs.resolve("usr/lib/big.bin"));
                assertEquals(300_001, big.length);
                assertTrue(Files.readAllLines(repo.resolve("testdata/estargz/small1-chunk64k-crfs.entries.jsonl"))
                        .stream().anyMatch(l -> l.contains("\"usr/lib/big.bin\"") && l.contains(
                                HexFormat.of().formatHex(Digest.newSha256().digest(big)))), "big.bin's content");
            } finally {
                unmount(rootfs);
            }

            // an external TOC whose TOC image is not there: a normal pull, saying why
            ImageReference noTocImage = ImageReference.parse(registry.host() + "/orphan:2");
            Pushed orphan = PushedLayers.converted(client, noTocImage, files,
                    ConvertOptions.defaults().withFormat(BlobFormat.ESTARGZ_EXTERNAL_TOC)).pushed();
            String key = "default/1/extract sha256:f5";
            List<Mount> m = rpc.prepare(key, "", formatLabels(noTocImage, "sha256:f5", orphan));
            assertEquals(List.of("rw", "rbind"), m.get(0).getOptionsList());
            RemoteLayer r = status(c).get(key).getRemote();
            assertEquals(RemoteLayer.State.FALLBACK, r.getState());
            assertTrue(r.getReason().contains("its external TOC is missing") && r.getReason().contains("orphan:2"
                    + ExternalTocSource.TOC_IMAGE_TAG_SUFFIX), r.getReason());
        }
    }

    /** Prepare labels for {@code layer} of {@code image}, as containerd's CRI plugin sends them. */
    private static Map<String, String> formatLabels(ImageReference image, String chain, Pushed layer) {
        Map<String, String> m = new HashMap<>(Map.of(REF, chain,
                "containerd.io/snapshot/cri.image-ref", image.toString(),
                "containerd.io/snapshot/cri.layer-digest", layer.digest()));
        if (layer.tocDigest() != null) {
            m.put(TOC, layer.tocDigest());
        }
        return m;
    }

    @Test
    void anUnreachableRegistryMakesTheLayerUnavailableUntilItIsBack() throws Exception {
        Config config = config("root", "[fetch]\nprefetch = false\nbackground_fetch = false\n"
                + "[fuse]\ncheck_interval_seconds = 0");
        try (Daemon d = Daemon.start(config); GrpcClient c = new GrpcClient(config.address())) {
            Rpc rpc = new Rpc(c.snapshots("default"));
            fails(Status.Code.ALREADY_EXISTS, () -> rpc.prepare("default/1/extract sha256:c1", "",
                    labels(proxy.host(), "sha256:c1", big)));
            rpc.prepare("default/2/ctr", "sha256:c1");
            proxy.down();
            try {
                String msg = fails(Status.Code.UNAVAILABLE, () -> rpc.mounts("default/2/ctr"));
                assertTrue(msg.contains(big.digest()) && msg.contains(proxy.host()), msg);
                fails(Status.Code.UNAVAILABLE, () -> rpc.prepare("default/3/ctr2", "sha256:c1"));
                fails(Status.Code.NOT_FOUND, () -> rpc.stat("default/3/ctr2"));
            } finally {
                proxy.up();
            }
            assertEquals("overlay", rpc.mounts("default/2/ctr").get(0).getType());
        }
    }

    @Test
    void layersBeyondTheIndexBudgetStillMountAndAreWarnedAbout() throws Exception {
        // l1 and l2 hold more than 3 index entries together (root, directories, files)
        Config config = config("root", "[memory]\nindex_entries = 3");
        try (LogWatch log = new LogWatch(); Daemon d = Daemon.start(config);
             GrpcClient c = new GrpcClient(config.address())) {
            Rpc rpc = new Rpc(c.snapshots("default"));
            unpack(rpc, "default");
            String warning = log.await(DEADLINE, "memory: the mounted layers hold");
            assertTrue(warning.contains("more than the 3 the heap is sized for"), warning);
            Path rootfs = mount(rpc.prepare("default/3/ctr", "sha256:c2").get(0));
            try {
                assertEquals("from l1\n", Files.readString(rootfs.resolve("etc/l1.txt")));
                assertEquals("from l2\n", Files.readString(rootfs.resolve("l2.txt")));
            } finally {
                unmount(rootfs);
            }
        }
    }

    @Test
    void aRestartMountsLayersAgainFromTheirKeptTocWithoutTheRegistry() throws Exception {
        Config config = config("root", "");
        Map<String, String> labels = labels(proxy.host(), "sha256:c1", big);
        Path mp;
        try (LogWatch log = new LogWatch()) {
            try (Daemon d = Daemon.start(config); GrpcClient c = new GrpcClient(config.address())) {
                Rpc rpc = new Rpc(c.snapshots("default"));
                fails(Status.Code.ALREADY_EXISTS, () -> rpc.prepare("default/1/extract sha256:c1", "", labels));
                rpc.prepare("default/2/ctr", "sha256:c1");
                log.await(DEADLINE, big.digest(), "is fully local");
                mp = Path.of(status(c).get("sha256:c1").getRemote().getMountPoint());
            }
        }
        assertTrue(MountTable.at(mp).isEmpty(), "stopping the daemon unmounts its layers");

        proxy.down();
        try {
            try (Daemon d = Daemon.start(config); GrpcClient c = new GrpcClient(config.address())) {
                Rpc rpc = new Rpc(c.snapshots("default"));
                RemoteLayer r = status(c).get("sha256:c1").getRemote();
                assertEquals(RemoteLayer.State.MOUNTED, r.getState(), r.toString());
                Path rootfs = mount(rpc.mounts("default/2/ctr").get(0));
                try {
                    assertArrayEquals(BIG, Files.readAllBytes(rootfs.resolve("data/big.bin")));
                    assertEquals("small\n", Files.readString(rootfs.resolve("data/small.txt")));
                } finally {
                    unmount(rootfs);
                }
                assertEquals(r.getTotalBytes(), status(c).get("sha256:c1").getRemote().getFetchedBytes());
            }

            // without its kept TOC the layer needs the registry: it fails now and is mounted again on use
            for (Path tail : files(config.root().resolve("layers"))) {
                Files.delete(tail);
            }
            try (Daemon d = Daemon.start(config); GrpcClient c = new GrpcClient(config.address())) {
                Rpc rpc = new Rpc(c.snapshots("default"));
                RemoteLayer r = status(c).get("sha256:c1").getRemote();
                assertEquals(RemoteLayer.State.FAILED, r.getState());
                assertTrue(r.getReason().startsWith("restore failed: ") && r.getReason().contains(proxy.host()),
                        r.getReason());
                fails(Status.Code.UNAVAILABLE, () -> rpc.mounts("default/2/ctr"));
                proxy.up();
                assertEquals("overlay", rpc.mounts("default/2/ctr").get(0).getType());
                assertEquals(RemoteLayer.State.MOUNTED, status(c).get("sha256:c1").getRemote().getState());
                assertEquals("small\n", Files.readString(mp.resolve("data/small.txt")));
            }
        } finally {
            proxy.up();
        }
    }
}
