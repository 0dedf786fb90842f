package io.jstargz.snapshotter;

import static io.jstargz.snapshotter.Rpc.fails;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.jstargz.concurrent.Threads;
import io.jstargz.mount.MountTable;
import io.jstargz.process.Command;
import io.jstargz.remote.ImageReference;
import io.jstargz.remote.RegistryClient;
import io.jstargz.remote.RegistryConfig;
import io.jstargz.remote.auth.CredentialStore;
import io.jstargz.snapshotter.PushedLayers.Pushed;
import io.jstargz.snapshotter.proto.introspection.Layer;
import io.jstargz.snapshotter.proto.introspection.ListLayersRequest;
import io.jstargz.snapshotter.proto.introspection.ListLayersResponse;
import io.jstargz.snapshotter.proto.introspection.RemoteLayer;
import io.jstargz.snapshotter.snapshot.LayerRequest;
import io.jstargz.testing.LayerBuilder;
import io.jstargz.testing.RegistryServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13: a lazily pulled layer that a container reads survives the daemon's crashes under systemd, and its
 * upgrades. Real: the registry, the daemons (each its own JVM, on the kernel FUSE binding of the launcher's JDK), the
 * FUSE mount, the handover between two daemons ({@code --takeover}), and the reader (a shell loop in a child process
 * that drops the page cache and checks every file's sha256). Played: systemd, by {@code fdstore.py}, which follows its
 * documented protocol (NOTIFY_SOCKET, FDSTORE=1, LISTEN_FDS, MAINPID=), restarts the daemon as {@code Restart=always}
 * does, and starts the new daemon as {@code ExecReload=} of {@code dist/jstargz.service} does.
 */
class CrashSurvivalTest {
    private static final Duration DEADLINE = Duration.ofSeconds(120);
    private static final int CRASHES = 10;
    private static final int UPGRADES = 10;
    private static final Pattern TOOK_OVER = Pattern.compile("took over from pid \\d+: (\\d+) layer mounts adopted,"
            + " serving (\\d+) ms after asking");

    @TempDir
    Path tmp;

    @Test
    void aLayerBeingReadSurvivesTenKillsOfTheDaemon() throws Exception {
        try (Served served = Served.start(tmp)) {
            Systemd systemd = served.systemd;
            GrpcClient c = served.client;
            Reader reader = served.reader;
            List<Layer> before = served.layers;
            int failed = 0;
            int reads = 0;
            List<String> takeovers = new ArrayList<>();
            for (int i = 0; i < CRASHES; i++) {
                Path stop = tmp.resolve("stop-" + i);
                Process loop = reader.start(stop, tmp.resolve("reads-" + i));
                systemd.command("kill");
                takeovers.add(systemd.await("fdstore: ready"));
                served.assertSame(before, "after restart " + (i + 1));
                Files.createFile(stop);
                assertTrue(loop.waitFor(DEADLINE.toSeconds(), TimeUnit.SECONDS), "the reader ends");
                failed += reader.failures(tmp.resolve("reads-" + i));
                reads += Files.readAllLines(tmp.resolve("reads-" + i)).size();
                assertEquals(0, reader.failures(reader.once(tmp.resolve("after-" + i))),
                        "every read after restart " + (i + 1) + " is correct");
            }
            System.out.println("crash survival: " + CRASHES + " kills, " + failed + " of " + reads + " reads failed"
                    + " in the crash windows; takeovers: " + takeovers);
        }
    }

    @Test
    void aLayerBeingReadSurvivesTenUpgradesWithoutAFailedRead() throws Exception {
        try (Served served = Served.start(tmp)) {
            Systemd systemd = served.systemd;
            Reader reader = served.reader;
            assertTrue(served.status().getUpgrade().startsWith("layers survive an upgrade"),
                    "status says the layers survive an upgrade");
            int reads = 0;
            List<Long> serving = new ArrayList<>();
            List<String> ready = new ArrayList<>();
            for (int i = 0; i < UPGRADES; i++) {
                Path out = tmp.resolve("reads-" + i);
                Path stop = tmp.resolve("stop-" + i);
                Process loop = reader.start(stop, out);
                systemd.command("reload");
                Map<String, String> events = systemd.awaitAll("fdstore: mainpid", "fdstore: exited",
                        "fdstore: ready", Systemd.TOOK_OVER_LOG);
                assertEquals("fdstore: exited 0", events.get("fdstore: exited"), "the old daemon exits cleanly");
                Matcher took = TOOK_OVER.matcher(events.get(Systemd.TOOK_OVER_LOG));
                assertTrue(took.find(), events.get(Systemd.TOOK_OVER_LOG));
                assertEquals("1", took.group(1), "the new daemon adopted the layer's mount");
                serving.add(Long.parseLong(took.group(2)));
                ready.add(events.get("fdstore: ready"));
                served.assertSame(served.layers, "after upgrade " + (i + 1));
                Files.createFile(stop);
                assertTrue(loop.waitFor(DEADLINE.toSeconds(), TimeUnit.SECONDS), "the reader ends");
                assertEquals(0, reader.failures(out), "reads that failed during upgrade " + (i + 1));
                reads += Files.readAllLines(out).size();
            }
            System.out.println("upgrades: " + UPGRADES + " handovers, 0 of " + reads + " reads failed; the new daemon"
                    + " served the handed-over mount, ms after asking: " + serving + "; " + ready);
        }
    }

    /** The daemon under fdstore.py, a layer of three files lazily mounted and read by {@link #reader}. */
    private static final class Served implements AutoCloseable {
        private final RegistryServer registry;
        private final RegistryClient registryClient;
        private final Systemd systemd;
        private final GrpcClient client;
        private final Reader reader;
        private final List<Layer> layers;
        private final Path mountPoint;
        private final String device;

        private Served(RegistryServer registry, RegistryClient registryClient, Systemd systemd, GrpcClient client,
                       Reader reader) throws IOException {
            this.registry = registry;
            this.registryClient = registryClient;
            this.systemd = systemd;
            this.client = client;
            this.reader = reader;
            this.layers = layers(client);
            this.mountPoint = Path.of(layers.get(0).getRemote().getMountPoint());
            this.device = MountTable.at(mountPoint).orElseThrow().device();
        }

        static Served start(Path tmp) throws Exception {
            byte[] big = new byte[4 << 20];
            new Random(13).nextBytes(big);
            Map<String, byte[]> files = new LinkedHashMap<>(Map.of("data/big.bin", big,
                    "etc/a.txt", "a\n".getBytes(StandardCharsets.UTF_8), "etc/b.txt", "b\n".getBytes(StandardCharsets.UTF_8)));
            RegistryServer registry = RegistryServer.start();
            RegistryClient client = RegistryClient.create(RegistryConfig.builder()
                    .hostsDir(Path.of("/nonexistent")).build(), CredentialStore.ANONYMOUS);
            Systemd systemd = null;
            GrpcClient c = null;
            try {
                String image = registry.host() + "/app:1";
                LayerBuilder builder = new LayerBuilder();
                files.forEach((name, content) -> builder.file(name, content, 0644));
                Pushed layer = PushedLayers.estargz(client, ImageReference.parse(image), builder);
                Path root = tmp.resolve("root");
                Path socket = tmp.resolve("j.sock");
                Path config = Files.writeString(tmp.resolve("config.toml"), "root = \"" + root + "\"\naddress = \""
                        + socket + "\"\nwarm_up = false\n[registry]\nhosts_dir = \"" + tmp.resolve("no-hosts") + "\"\n");
                systemd = Systemd.start(tmp.resolve("notify.sock"), config);
                c = new GrpcClient(socket);
                systemd.await("fdstore: ready");
                Map<String, String> labels = LayerRequest.criLabels("sha256:c1", image, layer.digest(),
                        List.of(layer.digest()), layer.tocDigest());
                GrpcClient prepared = c;
                fails(Status.Code.ALREADY_EXISTS,
                        () -> new Rpc(prepared.snapshots("default")).prepare("default/1/extract sha256:c1", "", labels));
                assertTrue(c.introspection().listLayers(ListLayersRequest.getDefaultInstance()).getCrashSurvival()
                        .startsWith("layers survive a crash"), "status says the layers survive a crash");
                systemd.await("fdstore: stored fuse.");
                Path mountPoint = Path.of(layers(c).get(0).getRemote().getMountPoint());
                return new Served(registry, client, systemd, c, new Reader(mountPoint, files));
            } catch (Exception | AssertionError e) {
                closeAll(c, systemd, client, registry);
                throw e;
            }
        }

        ListLayersResponse status() {
            return client.introspection().listLayers(ListLayersRequest.getDefaultInstance());
        }

        /** The same layers are mounted as {@code before}, on the same mount (adopted, not made again). */
        void assertSame(List<Layer> before, String when) throws IOException {
            assertEquals(before, layers(client), when + " the same layers are mounted");
            assertEquals(device, MountTable.at(mountPoint).orElseThrow().device(),
                    when + " the mount is the same: adopted, not made again");
        }

        @Override
        public void close() throws Exception {
            closeAll(client, systemd, registryClient, registry);
        }

        private static void closeAll(AutoCloseable... all) throws Exception {
            Exception failure = null;
            for (AutoCloseable a : all) {
                try {
                    if (a != null) {
                        a.close();
                    }
                } catch (Exception e) {
                    failure = failure == null ? e : failure;
                }
            }
            if (failure != null) {
                throw failure;
            }
        }
    }

    private static List<Layer> layers(GrpcClient c) {
        return c.introspection().listLayers(ListLayersRequest.getDefaultInstance()).getLayersList().stream()
                .map(l -> l.toBuilder().setRemote(l.getRemote().toBuilder().clearUpdatedAt().clearFetchedBytes()
                        .clearTotalBytes()))
                .map(Layer.Builder::build).peek(l -> assertEquals(RemoteLayer.State.MOUNTED, l.getRemote().getState()))
                .toList();
    }

    /** A container's reads: a shell loop that drops the page cache and prints each file's sha256 or the error. */
    private record Reader(Path mountPoint, Map<String, byte[]> files) {
        Process start(Path stop, Path out) throws IOException {
            return new ProcessBuilder("sh", "-c", "while [ ! -e \"$0\" ]; do " + pass() + "; done", stop.toString())
                    .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        }

        Path once(Path out) throws IOException {
            Files.writeString(out, Command.of("sh", "-c", pass()).run(DEADLINE).output());
            return out;
        }

        private String pass() {
            StringBuilder b = new StringBuilder("echo 3 > /proc/sys/vm/drop_caches; for f in");
            files.keySet().forEach(f -> b.append(" '").append(mountPoint.resolve(f)).append("'"));
            return b.append("; do sha256sum \"$f\" 2>&1; done").toString();
        }

        /** Reads that failed in {@code out}; a wrong sha256 fails the test. */
        int failures(Path out) throws Exception {
            int failed = 0;
            for (String line : Files.readAllLines(out)) {
                String[] f = line.split("  ", 2);
                String name = f.length == 2 ? mountPoint.relativize(Path.of(f[1])).toString() : null;
                if (name == null || !files.containsKey(name)) {
                    failed++;
                    System.out.println("failed read: " + line);
                } else {
                    assertEquals(sha256(files.get(name)), f[0], "the bytes read of " + name);
                }
            }
            return failed;
        }
    }

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    /** fdstore.py running the daemon (DaemonMain on the launcher's JDK), its events and takeover lines in a queue. */
    private static final class Systemd implements AutoCloseable {
        private static final String TOOK_OVER_LOG = "took over from pid";
        private final Process process;
        private final BlockingQueue<String> events = new LinkedBlockingQueue<>();

        private Systemd(Process process) {
            this.process = process;
            Threads.start("fdstore-output", () -> {
                try (BufferedReader r = process.inputReader()) {
                    for (String l; (l = r.readLine()) != null; ) {
                        System.out.println(l);
                        if (l.startsWith("fdstore: ") || l.contains(TOOK_OVER_LOG)) {
                            events.add(l);
                        }
                    }
                } catch (IOException e) {
                    events.add("fdstore: output lost: " + e);
                }
                events.add("fdstore: ended");
            });
        }

        static Systemd start(Path notifySocket, Path config) throws Exception {
            String java = Command.of("../bin/jstargz").withEnv(Map.of("JSTARGZ_WHICH_JAVA", "1")).run(DEADLINE)
                    .orThrow().strip();
            Path helper = Path.of(CrashSurvivalTest.class.getResource("/fdstore.py").toURI());
            return new Systemd(new ProcessBuilder("python3", helper.toString(), notifySocket.toString(), java,
                    "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "-cp",
                    System.getProperty("java.class.path"), DaemonMain.class.getName(), config.toString())
                    .redirectErrorStream(true).start());
        }

        /** The next event starting with {@code prefix}; earlier events are skipped. */
        String await(String prefix) throws Exception {
            long deadline = System.nanoTime() + DEADLINE.toNanos();
            while (true) {
                String e = events.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
                if (e == null || e.equals("fdstore: ended")) {
                    throw new AssertionError("no event " + prefix + " from fdstore.py: " + e);
                }
                if (e.startsWith(prefix)) {
                    return e;
                }
            }
        }

        /**
         * The next event starting with (or, for a log line, containing) each of {@code prefixes}, by prefix, whatever
         * their order; other events are skipped.
         */
        Map<String, String> awaitAll(String... prefixes) throws Exception {
            Map<String, String> got = new LinkedHashMap<>();
            long deadline = System.nanoTime() + DEADLINE.toNanos();
            while (got.size() < prefixes.length) {
                String e = events.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
                if (e == null || e.equals("fdstore: ended")) {
                    throw new AssertionError("no events " + List.of(prefixes) + " from fdstore.py, got " + got + ": "
                            + e);
                }
                for (String p : prefixes) {
                    if ((e.startsWith(p) || !p.startsWith("fdstore: ") && e.contains(p)) && !got.containsKey(p)) {
                        got.put(p, e);
                        break;
                    }
                }
            }
            return got;
        }

        void command(String line) throws IOException {
            OutputStream in = process.getOutputStream();
            in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            in.flush();
        }

        @Override
        public void close() throws Exception {
            command("stop");
            if (!process.waitFor(DEADLINE.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }
}
