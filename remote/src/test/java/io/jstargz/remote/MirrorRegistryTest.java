package io.jstargz.remote;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jstargz.remote.auth.CredentialStore;
import io.jstargz.remote.hosts.Capability;
import io.jstargz.remote.hosts.RegistryHost;
import io.jstargz.testing.RegistryAccessLog;
import io.jstargz.testing.RegistryServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two real registries, an origin and a mirror configured in containerd's hosts.toml layout: reads go to the mirror,
 * fall back to the origin for what the mirror lacks, and pushes go to the origin only.
 */
class MirrorRegistryTest {

    private static RegistryServer origin;
    private static RegistryServer mirror;
    private static RegistryClient client;

    @BeforeAll
    static void start(@TempDir Path dir) throws IOException {
        origin = RegistryServer.start();
        mirror = RegistryServer.start();
        // the mirror holds an image the origin does not have, as a pull-through cache would
        try (RegistryClient direct = RegistryClient.create(RegistryClientTest.config().build(),
                CredentialStore.ANONYMOUS)) {
            TestImages.push(direct, ImageReference.parse(mirror.host() + "/mirrored/img:1"),
                    List.of("small1-default.esgz"), Platform.parse("linux/amd64"));
            TestImages.push(direct, ImageReference.parse(origin.host() + "/origin-only/img:1"),
                    List.of("small1-chunk64k-prio.esgz"), Platform.parse("linux/amd64"));
        }
        Path hostDir = dir.resolve(origin.host().replace(":", "_") + "_");
        Files.createDirectories(hostDir);
        Files.writeString(hostDir.resolve("hosts.toml"), "server = \"" + origin.url() + "\"\n\n"
                + "[host.\"" + mirror.url() + "\"]\n  capabilities = [\"pull\", \"resolve\"]\n"
                + "  [host.\"" + mirror.url() + "\".header]\n    X-Mirror-Test = \"yes\"\n");
        client = RegistryClient.create(RegistryClientTest.config().hostsDir(dir).build(),
                CredentialStore.ANONYMOUS);
    }

    @AfterAll
    static void stop() throws IOException {
        client.close();
        mirror.close();
        origin.close();
    }

    private static ImageReference ref(String path) {
        return ImageReference.parse(origin.host() + "/" + path);
    }

    @Test
    void hostsTomlListsTheMirrorFirst() throws IOException {
        List<RegistryHost> hosts = client.hosts(origin.host());
        assertEquals(2, hosts.size());
        assertEquals(mirror.url() + "/v2", hosts.get(0).baseUrl());
        assertTrue(hosts.get(0).mirror() && !hosts.get(0).can(Capability.PUSH));
        assertEquals(origin.url() + "/v2", hosts.get(1).baseUrl());
    }

    @Test
    void whatTheMirrorHasIsServedByTheMirrorAlone() throws IOException {
        int originMark = origin.accessLogMark();
        int mirrorMark = mirror.accessLogMark();
        ResolvedImage resolved = client.resolve(ref("mirrored/img:1"));
        byte[] file = Files.readAllBytes(TestImages.blob("small1-default.esgz"));
        assertArrayEquals(Arrays.copyOfRange(file, 5, 50),
                client.openBlob(ref("mirrored/img:1"), resolved.manifest().layers().get(0)).read(5, 45));
        origin.syncAccessLog();
        mirror.syncAccessLog();
        assertEquals(List.of(), origin.accessLog().since(originMark));
        assertEquals(2, mirror.accessLog().since(mirrorMark).size());
    }

    @Test
    void whatTheMirrorLacksComesFromTheOriginAndTheBlobStaysThere() throws IOException {
        int originMark = origin.accessLogMark();
        int mirrorMark = mirror.accessLogMark();
        ResolvedImage resolved = client.resolve(ref("origin-only/img:1"));
        RegistryBlobSource blob = client.openBlob(ref("origin-only/img:1"), resolved.manifest().layers().get(0));
        byte[] file = Files.readAllBytes(TestImages.blob("small1-chunk64k-prio.esgz"));
        assertArrayEquals(Arrays.copyOfRange(file, 0, 10), blob.read(0, 10));
        assertArrayEquals(Arrays.copyOfRange(file, 20, 30), blob.read(20, 10));
        origin.syncAccessLog();
        mirror.syncAccessLog();
        List<RegistryAccessLog.Entry> atMirror = mirror.accessLog().since(mirrorMark);
        // the mirror was asked for the manifest and the blob once each, and said 404
        assertEquals(2, atMirror.size(), atMirror.toString());
        assertTrue(atMirror.stream().allMatch(e -> e.status() == 404), atMirror.toString());
        assertEquals(1, atMirror.stream().filter(RegistryAccessLog.Entry::isBlobGet).count());
        List<RegistryAccessLog.Entry> atOrigin = origin.accessLog().since(originMark);
        assertEquals(2, atOrigin.stream().filter(RegistryAccessLog.Entry::isBlobGet).count(), atOrigin.toString());
    }

    @Test
    void pushesGoToTheOriginOnly() throws IOException {
        int mirrorMark = mirror.accessLogMark();
        BlobContent content = BlobContent.of(new byte[] {4, 5, 6, 7});
        assertEquals(PushOutcome.UPLOADED, client.pushBlob(ref("pushed/img:1"), content, null));
        mirror.syncAccessLog();
        assertEquals(List.of(), mirror.accessLog().since(mirrorMark));
        try (RegistryClient direct = RegistryClient.create(RegistryClientTest.config().build(),
                CredentialStore.ANONYMOUS)) {
            assertTrue(direct.blobExists(ref("pushed/img:1"), content.digest()));
        }
    }
}
