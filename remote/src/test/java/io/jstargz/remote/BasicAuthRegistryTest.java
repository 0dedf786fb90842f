package io.jstargz.remote;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jstargz.testing.RegistryAccessLog;
import io.jstargz.testing.RegistryServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real registry with htpasswd Basic auth, credentials from docker config.json and credential helpers. */
class BasicAuthRegistryTest {

    private static final String USER = "alice";
    private static final String PASSWORD = "wonderland-7f3a";
    private static RegistryServer registry;

    @BeforeAll
    static void start() throws IOException {
        registry = RegistryServer.builder().basicAuth(USER, PASSWORD).start();
    }

    @AfterAll
    static void stop() throws IOException {
        registry.close();
    }

    private static ImageReference ref(String path) {
        return ImageReference.parse(registry.host() + "/" + path);
    }

    static RegistryConfig.Builder config(Path dockerConfig) {
        return RegistryClientTest.config().dockerConfig(dockerConfig);
    }

    static Path writeDockerConfig(Path dir, String json) throws IOException {
        Path file = dir.resolve("config.json");
        Files.writeString(file, json);
        return file;
    }

    static String basicAuthEntry(String host, String user, String password) {
        return "{\"auths\":{\"" + host + "\":{\"auth\":\"" + Base64.getEncoder()
                .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8)) + "\"}}}";
    }

    @Test
    void credentialsFromDockerConfigPushAndPullWithOneChallengeOnly(@TempDir Path dir) throws IOException {
        Path dockerConfig = writeDockerConfig(dir, basicAuthEntry("https://" + registry.host() + "/v1/", USER,
                PASSWORD));
        int mark = registry.accessLogMark();
        try (RegistryClient client = RegistryClient.create(config(dockerConfig).build())) {
            TestImages.Pushed image = TestImages.push(client, ref("basic/img:1"), List.of("small1-default.esgz"),
                    Platform.parse("linux/amd64"));
            ResolvedImage resolved = client.resolve(ref("basic/img:1"));
            assertEquals(image.digest(), resolved.reference().digest());
            byte[] file = Files.readAllBytes(TestImages.blob("small1-default.esgz"));
            assertArrayEquals(Arrays.copyOfRange(file, 100, 200),
                    client.openBlob(ref("basic/img:1"), resolved.manifest().layers().get(0)).read(100, 100));
        }
        registry.syncAccessLog();
        List<RegistryAccessLog.Entry> seen = registry.accessLog().since(mark);
        assertTrue(seen.size() > 5, seen.toString());
        assertEquals(1, seen.stream().filter(e -> e.status() == 401).count(),
                "only the first request to the host goes without credentials: " + seen);
    }

    @Test
    void missingCredentialsSayWhereTheyWereLookedFor(@TempDir Path dir) {
        Path dockerConfig = dir.resolve("absent.json");
        try (RegistryClient client = RegistryClient.create(config(dockerConfig).build())) {
            UnauthorizedException e = assertThrows(UnauthorizedException.class,
                    () -> client.resolve(ref("basic/img:1")));
            assertTrue(e.getMessage().contains(registry.host()) && e.getMessage().contains(dockerConfig.toString()),
                    e.getMessage());
        }
    }

    @Test
    void rejectedCredentialsAreReportedWithoutThePassword(@TempDir Path dir) throws IOException {
        Path dockerConfig = writeDockerConfig(dir, basicAuthEntry(registry.host(), USER, "wrong-password-91"));
        try (RegistryClient client = RegistryClient.create(config(dockerConfig).build())) {
            UnauthorizedException e = assertThrows(UnauthorizedException.class,
                    () -> client.resolve(ref("basic/img:1")));
            assertTrue(e.getMessage().contains("rejected the credentials of alice"), e.getMessage());
            assertTrue(e.getMessage().contains(dockerConfig.toString()), e.getMessage());
            assertFalse(e.toString().contains("wrong-password-91"), e.toString());
        }
    }

    /**
     * A password changed in the docker config goes with the next request: rewritten with a wrong one, the next read
     * is refused (the header built before is not sent again); rewritten with the right one, reads work again
     * without a 401 first.
     */
    @Test
    void aPasswordChangedInTheDockerConfigGoesWithTheNextRequest(@TempDir Path dir) throws IOException {
        Path dockerConfig = writeDockerConfig(dir, basicAuthEntry(registry.host(), USER, PASSWORD));
        byte[] file = Files.readAllBytes(TestImages.blob("small1-default.esgz"));
        try (RegistryClient client = RegistryClient.create(config(dockerConfig).build())) {
            TestImages.push(client, ref("basic/rotated:1"), List.of("small1-default.esgz"),
                    Platform.parse("linux/amd64"));
            ResolvedImage resolved = client.resolve(ref("basic/rotated:1"));
            RegistryBlobSource blob = client.openBlob(ref("basic/rotated:1"), resolved.manifest().layers().get(0));
            assertArrayEquals(Arrays.copyOfRange(file, 100, 200), blob.read(100, 100));

            writeDockerConfig(dir, basicAuthEntry(registry.host(), USER, "rotated-away-52"));
            UnauthorizedException e = assertThrows(UnauthorizedException.class, () -> blob.read(200, 100));
            assertTrue(e.getMessage().contains("rejected the credentials of alice"), e.getMessage());

            writeDockerConfig(dir, basicAuthEntry(registry.host(), USER, PASSWORD));
            int mark = registry.accessLogMark();
            assertArrayEquals(Arrays.copyOfRange(file, 300, 400), blob.read(300, 100));
            registry.syncAccessLog();
            List<RegistryAccessLog.Entry> seen = registry.accessLog().since(mark);
            assertFalse(seen.isEmpty());
            assertEquals(0, seen.stream().filter(r -> r.status() == 401).count(),
                    "the restored password went with the first request: " + seen);
        }
    }

    @Test
    void credentialHelpersSupplyTheSecret(@TempDir Path dir) throws IOException {
        Path helper = dir.resolve("docker-credential-jstargztest");
        // a helper answers "get" with the server URL on stdin; this one also records what it was asked
        Files.writeString(helper, "#!/bin/sh\nread server\necho \"$server\" >> " + dir.resolve("asked")
                + "\necho '{\"ServerURL\":\"'$server'\",\"Username\":\"" + USER + "\",\"Secret\":\"" + PASSWORD
                + "\"}'\n");
        Files.setPosixFilePermissions(helper, PosixFilePermissions.fromString("rwxr-xr-x"));
        for (String json : List.of("{\"credHelpers\":{\"" + registry.host() + "\":\"jstargztest\"}}",
                "{\"credsStore\":\"jstargztest\"}")) {
            Path dockerConfig = writeDockerConfig(dir, json);
            try (RegistryClient client = RegistryClient.create(
                    config(dockerConfig).credentialHelperDirs(List.of(dir)).build())) {
                TestImages.push(client, ref("basic/helper:1"), List.of("small1-default.esgz"),
                        Platform.parse("linux/amd64"));
                assertEquals(1, client.resolve(ref("basic/helper:1")).manifest().layers().size());
            }
        }
        // the helper is a process: asked once per client, not once per request
        assertEquals(List.of(registry.host(), registry.host()), Files.readAllLines(dir.resolve("asked")));
    }
}
