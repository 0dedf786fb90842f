package io.jstargz.snapshotter;

import static io.jstargz.snapshotter.Rpc.fails;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.jstargz.mount.MountTable;
import io.jstargz.process.Command;
import io.jstargz.process.CommandResult;
import io.jstargz.remote.ImageReference;
import io.jstargz.remote.RegistryClient;
import io.jstargz.remote.RegistryConfig;
import io.jstargz.remote.auth.CredentialStore;
import io.jstargz.snapshotter.PushedLayers.Pushed;
import io.jstargz.snapshotter.config.Config;
import io.jstargz.snapshotter.config.ConfigLoader;
import io.jstargz.snapshotter.proto.introspection.ListLayersRequest;
import io.jstargz.snapshotter.proto.introspection.ListLayersResponse;
import io.jstargz.snapshotter.proto.introspection.RemoteLayer;
import io.jstargz.snapshotter.snapshot.LayerRequest;
import io.jstargz.testing.LayerBuilder;
import io.jstargz.testing.RegistryServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18, item 0: a daemon killed while one of its own threads waits on a FUSE mount it serves cannot finish dying,
 * and must not lock the next daemon out. The dying process is real (a JVM with a real FUSE mount, SIGSTOPped and
 * killed as the probe did); only the handler that never answers is a fault made on purpose.
 */
@SuppressWarnings("try") // a daemon kept open for the block
class DyingDaemonTest {
    private static final Duration DEADLINE = Duration.ofSeconds(60);

    @Test
    void aDaemonKilledWhileWaitingOnItsOwnMountDoesNotLockTheRootOut(@TempDir Path tmp) throws Exception {
        Path root = tmp.resolve("root");
        Path mountPoint = Files.createDirectories(root.resolve("snapshots/1/fs"));
        Process holder = ChildJvm.startAndAwait(ZombieRootHolder.class, "waiting on itself", DEADLINE,
                root.toString(), mountPoint.toString()).process();
        try {
            Command.of("kill", "-STOP", Long.toString(holder.pid())).run(DEADLINE).orThrow();
            holder.destroyForcibly();
            assertTrue(RootLock.isDying(holder.pid()), "the killed holder is dying");
            assertTrue(MountTable.at(mountPoint).isPresent(), "its mount is still there");

            Config config = Config.defaults().withRoot(root).withAddress(tmp.resolve("j.sock")).withWarmUp(false);
            try (LogWatch log = new LogWatch()) {
                CompletableFuture<Daemon> starting = CompletableFuture.supplyAsync(() -> {
                    try {
                        return Daemon.start(config);
                    } catch (Exception e) {
                        throw new CompletionException(e);
                    }
                });
                try (Daemon d = starting.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
                     GrpcClient c = new GrpcClient(config.address())) {
                    log.await(DEADLINE, "is being killed but has not exited", "pid " + holder.pid());
                    assertTrue(holder.waitFor(DEADLINE.toSeconds(), TimeUnit.SECONDS),
                            "the holder exits once its own mount's connection is aborted");
                    assertFalse(MountTable.at(mountPoint).isPresent(), "the dead mount is gone");
                    assertFalse(new Rpc(c.snapshots("default")).prepare("default/1/a", "").isEmpty(),
                            "the new daemon serves");
                }
            }
        } finally {
            holder.destroyForcibly();
        }
    }
    /**
     * The real daemon, in its own process, stopped (SIGSTOP) right after Prepare mounted a layer lazily, while a
     * reader waits on the layer, and then killed: the daemon exits, the reader ends, and a new daemon serves the layer
     * again within seconds.
     */
    @Test
    void aDaemonKilledRightAfterAMountExitsAndTheNextOneServesTheLayer(@TempDir Path tmp) throws Exception {
        byte[] content = "from the layer\n".getBytes(StandardCharsets.UTF_8);
        try (RegistryServer registry = RegistryServer.start();
             RegistryClient client = RegistryClient.create(RegistryConfig.builder()
                     .hostsDir(Path.of("/nonexistent")).build(), CredentialStore.ANONYMOUS)) {
            String image = registry.host() + "/app:1";
            Pushed layer = PushedLayers.estargz(client, ImageReference.parse(image),
                    new LayerBuilder().file("etc/app.txt", content, 0644));
            Path root = tmp.resolve("root");
            Path socket = tmp.resolve("j.sock");
            Path configFile = Files.writeString(tmp.resolve("config.toml"), "root = \"" + root + "\"\naddress = \""
                    + socket + "\"\nwarm_up = false\n[registry]\nhosts_dir = \"" + tmp.resolve("no-hosts") + "\"\n");
            Process daemon = ChildJvm.startAndAwait(DaemonMain.class, "jstargz snapshotter ready", DEADLINE,
                    configFile.toString()).process();
            CompletableFuture<CommandResult> reader;
            Path file;
            try (GrpcClient c = new GrpcClient(socket)) {
                Map<String, String> labels = LayerRequest.criLabels("sha256:c1", image, layer.digest(),
                        List.of(layer.digest()), layer.tocDigest());
                fails(Status.Code.ALREADY_EXISTS,
                        () -> new Rpc(c.snapshots("default")).prepare("default/1/extract sha256:c1", "", labels));
                file = root.resolve("snapshots/" + layerId(c) + "/fs/etc/app.txt");
                Command.of("kill", "-STOP", Long.toString(daemon.pid())).run(DEADLINE).orThrow();
                reader = CompletableFuture.supplyAsync(() -> read(file));
                daemon.destroyForcibly();
                assertTrue(daemon.waitFor(DEADLINE.toSeconds(), TimeUnit.SECONDS), "the killed daemon exits");
            } finally {
                daemon.destroyForcibly();
            }
            reader.get(DEADLINE.toSeconds(), TimeUnit.SECONDS); // ended, in error or not: no reader hangs

            Config config = ConfigLoader.load(configFile);
            try (Daemon d = Daemon.start(config); GrpcClient c = new GrpcClient(config.address())) {
                ListLayersResponse status = c.introspection().listLayers(ListLayersRequest.getDefaultInstance());
                assertEquals(RemoteLayer.State.MOUNTED, status.getLayers(0).getRemote().getState());
                assertTrue(status.getCrashSurvival().startsWith("layers end with a crash"),
                        "without systemd's fd store status says a crash ends the layers: " + status.getCrashSurvival());
                assertEquals(new String(content, StandardCharsets.UTF_8), read(file).orThrow(),
                        "the new daemon serves the layer");
            }
        }
    }

    /** The directory id of the one layer the daemon has. */
    private static long layerId(GrpcClient c) {
        return c.introspection().listLayers(ListLayersRequest.getDefaultInstance()).getLayers(0).getId();
    }

    /** Reads {@code file} from a child process, as a container would. */
    private static CommandResult read(Path file) {
        try {
            return Command.of("cat", file.toString()).run(DEADLINE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
