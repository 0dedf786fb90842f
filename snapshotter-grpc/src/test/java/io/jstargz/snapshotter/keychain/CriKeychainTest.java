package io.jstargz.snapshotter.keychain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jstargz.remote.auth.Credentials;
import io.jstargz.snapshotter.snapshot.LayerStatus;
import io.jstargz.snapshotter.proto.cri.AuthConfig;
import io.jstargz.snapshotter.snapshot.FetchProgress;
import io.jstargz.snapshotter.snapshot.RemoteLayerRecord;
import io.jstargz.snapshotter.snapshot.RemoteLayerState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The keychain's records: per image, per host, kept in a private file across restarts, pruned and expired. */
class CriKeychainTest {
    private static final Duration TTL = Duration.ofHours(1);
    private static final String SECRET = "s3cret-9f2d";

    /** A clock the test moves. */
    private static final class TestClock extends Clock {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private static AuthConfig basic(String user, String password) {
        return AuthConfig.newBuilder().setUsername(user).setPassword(password).build();
    }

    @Test
    void credentialsAreKeptPerImageAndFoundUnderContainerdsNormalizedReference(@TempDir Path dir) throws Exception {
        CriKeychain k = CriKeychain.open(dir.resolve("k.json"), TTL, new TestClock());
        k.pulling("busybox", basic("alice", SECRET)).close();
        k.pulling("reg.example:5000/team/app@sha256:" + "a".repeat(64), AuthConfig.newBuilder()
                .setAuth(Base64.getEncoder().encodeToString("carol:pw2".getBytes(StandardCharsets.UTF_8)))
                .build()).close();

        assertEquals(Credentials.basic("alice", SECRET),
                k.credentials("docker.io", "docker.io/library/busybox:latest"));
        assertNull(k.credentials("docker.io", "docker.io/library/busybox:1"), "another tag is another image");
        // containerd drops the tag of a reference with a digest; the keychain finds it either way
        assertEquals(Credentials.basic("carol", "pw2"),
                k.credentials("reg.example:5000", "reg.example:5000/team/app:v1@sha256:" + "a".repeat(64)));
        assertEquals(Set.of("docker.io/library/busybox:latest", "reg.example:5000/team/app@sha256:" + "a".repeat(64)),
                Set.copyOf(k.references()));
    }

    @Test
    void aSecretThatNamesItsRegistryGoesToThatRegistryOnly(@TempDir Path dir) throws Exception {
        CriKeychain k = CriKeychain.open(dir.resolve("k.json"), TTL, new TestClock());
        k.pulling("reg.example/app:1", AuthConfig.newBuilder().setUsername("u").setPassword("p")
                .setServerAddress("https://reg.example/v2/").build()).close();
        k.pulling("app:1", AuthConfig.newBuilder().setIdentityToken("refresh-1")
                .setServerAddress("https://index.docker.io/v1/").build()).close();
        assertEquals(Credentials.basic("u", "p"), k.credentials("reg.example", "reg.example/app:1"));
        assertNull(k.credentials("mirror.example", "reg.example/app:1"));
        assertTrue(k.credentials("registry-1.docker.io", "docker.io/library/app:1").hasIdentityToken());
    }

    @Test
    void theyOutliveARestartInAFileOnlyRootReads(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("k.json");
        TestClock clock = new TestClock();
        CriKeychain.open(file, TTL, clock).pulling("reg.example/app:1", basic("alice", SECRET)).close();
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));

        CriKeychain again = CriKeychain.open(file, TTL, clock);
        assertEquals(Credentials.basic("alice", SECRET), again.credentials("reg.example", "reg.example/app:1"));

        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        CriKeychain.open(file, TTL, clock);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));

        clock.now = clock.now.plus(TTL);
        assertNull(CriKeychain.open(file, TTL, clock).credentials("reg.example", "reg.example/app:1"), "expired");
    }

    @Test
    void aCorruptFileIsAnErrorThatQuotesNothingOfIt(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("k.json"), "{\"format\":1,\"entries\":[{\"secret\":\"" + SECRET
                + "\" oops");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        IOException e = assertThrows(IOException.class, () -> CriKeychain.open(file, TTL, new TestClock()));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("line 1"), e.getMessage());
        assertFalse(e.getMessage().contains(SECRET), e.getMessage());
    }

    @Test
    void anEntryGoesWhenItsImageNeedsTheRegistryNoMoreButNotWhileItIsBeingPulled(@TempDir Path dir)
            throws Exception {
        TestClock clock = new TestClock();
        CriKeychain k = CriKeychain.open(dir.resolve("k.json"), TTL, clock);
        CriKeychain.Pull pull = k.pulling("reg.example/app:1", basic("alice", SECRET));
        k.prune(ref -> false);
        assertEquals(List.of("reg.example/app:1"), k.references(), "kept while its pull is under way");
        pull.close();
        k.prune(ref -> ref.equals("reg.example/app:1"));
        assertEquals(List.of("reg.example/app:1"), k.references(), "kept while a layer is not local");
        k.prune(ref -> false);
        assertEquals(List.of(), k.references());
        assertNull(CriKeychain.open(dir.resolve("k.json"), TTL, clock).credentials("reg.example",
                "reg.example/app:1"), "gone from the file too");
    }

    @Test
    void imagesNeedTheRegistryWhileAMountedLayerIsNotLocal() {
        LayerStatus partial = layer("reg.example/a:1", RemoteLayerState.MOUNTED, new FetchProgress(10, 100));
        LayerStatus local = layer("reg.example/b:1", RemoteLayerState.MOUNTED, new FetchProgress(100, 100));
        LayerStatus failed = layer("reg.example/c:1", RemoteLayerState.FAILED, FetchProgress.UNKNOWN);
        LayerStatus fallback = layer("reg.example/d:1", RemoteLayerState.FALLBACK, FetchProgress.UNKNOWN);
        LayerStatus plain = new LayerStatus(null, Optional.empty(), FetchProgress.UNKNOWN);
        assertEquals(Set.of("reg.example/a:1", "reg.example/c:1"),
                CriKeychainServer.imagesNeedingTheRegistry(List.of(partial, local, failed, fallback, plain)));
    }

    private static LayerStatus layer(String image, RemoteLayerState state, FetchProgress progress) {
        RemoteLayerRecord r = new RemoteLayerRecord(1, "sha256:x", image, "sha256:" + "b".repeat(64), "",
                Path.of("/nonexistent"), state, "", Instant.EPOCH);
        return new LayerStatus(null, Optional.of(r), progress);
    }
}
