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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13: a lazily pulled layer that a container reads survives the daemon's crashes under systemd. Real: the
 * registry, the daemon (its own JVM, on the kernel FUSE binding of the launcher's JDK), its FUSE mount, and the
 * reader (a shell loop in a child process that drops the page cache and checks every file's sha256). Played:
 * systemd, by {@code fdstore.py}, which follows its documented fd store protocol (NOTIFY_SOCKET, FDSTORE=1,
 * LISTEN_FDS) and restarts the daemon as {@code Restart=always} does.
 */
class CrashSurvivalTest {
    private static final Duration DEADLINE = Duration.ofSeconds(120);
    private static final int CRASHES = 10;

    @Test
    void aLayerBeingReadSurvivesTenKillsOfTheDaemon(@TempDir Path tmp) throws Exception {
        byte[] big = new byte[4 << 20];
        new Random(13).nextBytes(big);
        Map<String, byte[]> files = new LinkedHashMap<>(Map.of("data/big.bin", big,
                "etc/a.txt", "a\n".getBytes(StandardCharsets.UTF_8), "etc/b.txt", "b\n".getBytes(StandardCharsets.UTF_8)));
        try (RegistryServer registry = RegistryServer.start();
             RegistryClient client = RegistryClient.create(RegistryConfig.builder()
                     .hostsDir(Path.of("/nonexistent")).build(), CredentialStore.ANONYMOUS)) {
            String image = registry.host() + "/app:1";
            LayerBuilder builder = new LayerBuilder();
            files.forEach((name, content) -> builder.file(name, content, 0644));
            Pushed layer = PushedLayers.estargz(client, ImageReference.parse(image), builder);
            Path root = tmp.resolve("root");
            Path socket = tmp.resolve("j.sock");
            Path config = Files.writeString(tmp.resolve("config.toml"), "root = \"" + root + "\"\naddress = \""
                    + socket + "\"\nwarm_up = false\n[registry]\nhosts_dir = \"" + tmp.resolve("no-hosts") + "\"\n");
            Systemd systemd = Systemd.start(tmp.resolve("notify.sock"), config);
            try (systemd; GrpcClient c = new GrpcClient(socket)) {
                systemd.await("fdstore: ready");
                Map<String, String> labels = LayerRequest.criLabels("sha256:c1", image, layer.digest(),
                        List.of(layer.digest()), layer.tocDigest());
                fails(Status.Code.ALREADY_EXISTS,
                        () -> new Rpc(c.snapshots("default")).prepare("default/1/extract sha256:c1", "", labels));
                assertTrue(c.introspection().listLayers(ListLayersRequest.getDefaultInstance()).getCrashSurvival()
                        .startsWith("layers survive a crash"), "status says the layers survive a crash");
                List<Layer> before = layers(c);
                Path mountPoint = Path.of(before.get(0).getRemote().getMountPoint());
                systemd.await("fdstore: stored fuse.");
                String device = MountTable.at(mountPoint).orElseThrow().device();
                Reader reader = new Reader(mountPoint, files);

                int failed = 0;
                int reads = 0;
                List<String> takeovers = new ArrayList<>();
                for (int i = 0; i < CRASHES; i++) {
                    Path stop = tmp.resolve("stop-" + i);
                    Process loop = reader.start(stop, tmp.resolve("reads-" + i));
                    systemd.command("kill");
                    takeovers.add(systemd.await("fdstore: ready"));
                    assertEquals(before, layers(c), "after restart " + (i + 1) + " the same layers are mounted");
                    assertEquals(device, MountTable.at(mountPoint).orElseThrow().device(),
                            "the mount was adopted, not made again");
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

    /** fdstore.py running the daemon (DaemonMain on the launcher's JDK), its events in a queue. */
    private static final class Systemd implements AutoCloseable {
        private final Process process;
        private final BlockingQueue<String> events = new LinkedBlockingQueue<>();

        private Systemd(Process process) {
            this.process = process;
            Threads.start("fdstore-output", () -> {
                try (BufferedReader r = process.inputReader()) {
                    for (String l; (l = r.readLine()) != null; ) {
                        System.out.println(l);
                        if (l.startsWith("fdstore: ")) {
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
