package io.jstargz.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jstargz.remote.RegistryClient;
import io.jstargz.remote.RegistryConfig;
import io.jstargz.remote.auth.CredentialStore;
import io.jstargz.remote.auth.Credentials;
import io.jstargz.snapshotter.grpc.UnixChannel;
import io.jstargz.snapshotter.proto.cri.AuthConfig;
import io.jstargz.snapshotter.proto.cri.ImageServiceGrpc;
import io.jstargz.snapshotter.proto.cri.ImageSpec;
import io.jstargz.snapshotter.proto.cri.ImageStatusRequest;
import io.jstargz.snapshotter.proto.cri.PullImageRequest;
import io.jstargz.testing.BusyboxImage;
import io.jstargz.testing.Containerd;
import io.jstargz.testing.LayerBuilder;
import io.jstargz.testing.RegistryAccessLog;
import io.jstargz.testing.RegistryServer;
import io.jstargz.testing.TokenServer;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kubernetes path with a pull secret: a private image behind token auth, no docker config on the node, and the
 * kubelet's PullImage sent to jstargz's CRI keychain socket, which records its credentials and forwards it to
 * containerd. Every layer is mounted lazily with those credentials; they appear in no log, status or metric; and
 * after a restart the daemon reads, with the credentials it kept, a file nobody read before.
 */
class CriKeychainIT {
    private static final Duration DEADLINE = Duration.ofSeconds(120);
    private static final String USER = "kubelet-secret-user";
    private static final String PASSWORD = "pull-secret-7f3a9c";
    private static final int BIG = 2 << 20;

    @Test
    void aPrivateImageIsPulledLazilyWithThePullSecretAndReadAfterARestart(
            @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path tmp) throws Exception {
        byte[] big = new byte[BIG];
        new Random(3).nextBytes(big);
        Path socket = tmp.resolve("run/jstargz.sock");
        Path keychainSocket = tmp.resolve("run/cri-keychain.sock");
        Path root = tmp.resolve("root");
        Path containerdDir = tmp.resolve("containerd");
        int metricsPort;
        try (ServerSocket s = new ServerSocket(0)) {
            metricsPort = s.getLocalPort();
        }
        Path config = Files.writeString(tmp.resolve("config.toml"), "root = \"" + root + "\"\n"
                + "address = \"" + socket + "\"\nlog_level = \"debug\"\n"
                + "metrics_address = \"127.0.0.1:" + metricsPort + "\"\n"
                + "[registry]\nhosts_dir = \"" + tmp.resolve("certs.d") + "\"\n"
                + "docker_config = \"" + tmp.resolve("no-docker-config.json") + "\"\n"
                + "[fetch]\nbackground_fetch = false\n"
                + "[cri_keychain]\nenable = true\nlisten_path = \"" + keychainSocket + "\"\n"
                + "image_service_path = \"" + containerdDir.resolve("containerd.sock") + "\"\n");
        try (TokenServer tokens = TokenServer.builder().user("pusher", "push-pw")
                .user(USER, PASSWORD, "private/app").start();
             RegistryServer registry = RegistryServer.builder().tokenAuth(tokens).start()) {
            TestImage image;
            try (RegistryClient pusher = RegistryClient.create(RegistryConfig.builder()
                    .hostsDir(Path.of("/nonexistent")).build(), store(Credentials.basic("pusher", "push-pw")))) {
                image = TestImage.pushEstargz(pusher, registry.host() + "/private/app:1", List.of(
                        BusyboxImage.baseLayer(),
                        new LayerBuilder().file("data/big.bin", big, 0644).file("data/small.txt", "small\n")),
                        List.of());
            }
            String bigLayer = image.layerDigests().get(1);
            DaemonProcess daemon = DaemonProcess.start(config, socket, tmp.resolve("jstargz.log"));
            try (Containerd containerd = Containerd.start(new Containerd.Options(containerdDir, socket, root,
                    true))) {
                try (UnixChannel kubeletSide = new UnixChannel(keychainSocket)) {
                    ImageServiceGrpc.ImageServiceBlockingStub cri = ImageServiceGrpc.newBlockingStub(
                            kubeletSide.channel());
                    String imageId = cri.withDeadlineAfter(DEADLINE.toSeconds(), TimeUnit.SECONDS).pullImage(
                            PullImageRequest.newBuilder()
                                    .setImage(ImageSpec.newBuilder().setImage(image.ref()))
                                    .setAuth(AuthConfig.newBuilder().setUsername(USER).setPassword(PASSWORD)
                                            .setServerAddress("http://" + registry.host()))
                                    .build()).getImageRef();
                    assertTrue(imageId.startsWith("sha256:"), imageId);
                    // the other calls go through unchanged
                    assertEquals(imageId, cri.withDeadlineAfter(DEADLINE.toSeconds(), TimeUnit.SECONDS)
                            .imageStatus(ImageStatusRequest.newBuilder()
                                    .setImage(ImageSpec.newBuilder().setImage(image.ref())).build())
                            .getImage().getId());
                }
                for (String digest : image.layerDigests()) {
                    assertEquals(1, daemon.logLines("mounted lazily").stream().filter(l -> l.contains(digest))
                            .count(), "layer " + digest + " is mounted lazily: " + daemon.logLines(digest));
                }
                assertTrue(daemon.logLines("pulled normally").isEmpty(), daemon.logLines("pulled normally")
                        .toString());
                List<String> content = TestImage.contentDigests(containerd, "k8s.io");
                for (String digest : image.layerDigests()) {
                    assertFalse(content.contains(digest), "layer " + digest + " is not in containerd's store");
                }
                JsonNode layer = daemon.status().values().stream().map(s -> s.path("remote"))
                        .filter(r -> r.path("layerDigest").asText().equals(bigLayer)).findFirst().orElseThrow();
                assertTrue(layer.get("fetchedBytes").asLong() < BIG, "data/big.bin is not fetched yet: " + layer);
                Path kept = root.resolve("cri-keychain.json");
                assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(kept)));
                assertTrue(Files.readString(kept).contains(image.ref()));
                String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + metricsPort + "/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                assertTrue(metrics.contains("jstargz"), metrics);
                assertNoSecret("metrics", metrics);
                assertNoSecret("jstargz status", daemon.statusTable() + daemon.status());

                daemon.stop();
                int mark = registry.accessLogMark();
                int tokensBefore = tokens.requests().size();
                daemon = DaemonProcess.start(config, socket, tmp.resolve("jstargz.log"));
                for (String digest : image.layerDigests()) {
                    daemon.awaitLog(DEADLINE, digest, "mounted lazily", "(restored");
                }
                daemon.awaitContainerdConnected(containerd, "k8s.io");
                String md5 = containerd.ctr("k8s.io", "run", "--rm", "--snapshotter", Containerd.SNAPSHOTTER,
                        image.ref(), "read-big", "md5sum", "/data/big.bin").orThrow();
                assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(big))
                        + "  /data/big.bin\n", md5);

                registry.syncAccessLog();
                long served = 0;
                int challenges = 0;
                for (RegistryAccessLog.Entry e : registry.accessLog().since(mark, e -> e.uri().endsWith(bigLayer))) {
                    // the restarted daemon's first request to the registry learns its challenge from a 401
                    assertTrue(e.status() == 206 || (e.status() == 401 && ++challenges == 1),
                            "only range reads of the layer: " + e);
                    served += e.bytesWritten();
                }
                assertTrue(served >= BIG / 2, "data/big.bin came from the registry after the restart: " + served);
                List<TokenServer.TokenRequest> after = tokens.requests().subList(tokensBefore,
                        tokens.requests().size());
                assertTrue(after.stream().anyMatch(r -> USER.equals(r.account()) && r.status() == 200),
                        "the restarted daemon authenticated with the kept pull secret: " + after);
                assertNoSecret("jstargz's log (both runs)", Files.readString(tmp.resolve("jstargz.log")));
            } finally {
                daemon.close();
            }
        }
    }

    private static void assertNoSecret(String where, String text) {
        assertFalse(text.contains(PASSWORD), where + " shows the password");
        assertFalse(text.contains(Base64.getEncoder().encodeToString((USER + ":" + PASSWORD)
                .getBytes(StandardCharsets.UTF_8))), where + " shows the Basic credentials");
    }

    private static CredentialStore store(Credentials credentials) {
        return new CredentialStore() {
            @Override
            public Credentials credentials(String host, String reference) {
                return credentials;
            }

            @Override
            public String describe() {
                return "the test's push credentials";
            }
        };
    }
}
