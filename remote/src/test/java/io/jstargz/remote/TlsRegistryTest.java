package io.jstargz.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jstargz.remote.auth.CredentialStore;
import io.jstargz.testing.RegistryServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.net.ssl.SSLException;
import okhttp3.tls.HeldCertificate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real registry over TLS with a private CA, configured through hosts.toml ({@code ca}, {@code skip_verify}). */
class TlsRegistryTest {

    private static HeldCertificate ca;
    private static RegistryServer registry;

    @BeforeAll
    static void start() throws IOException {
        ca = new HeldCertificate.Builder().certificateAuthority(0).commonName("jstargz test CA").ecdsa256().build();
        HeldCertificate server = new HeldCertificate.Builder().signedBy(ca).commonName("127.0.0.1")
                .addSubjectAlternativeName("127.0.0.1").ecdsa256().build();
        registry = RegistryServer.builder().tls(server).start();
    }

    @AfterAll
    static void stop() throws IOException {
        registry.close();
    }

    private static RegistryClient client(Path hostsDir, String hostsToml) throws IOException {
        Path dir = hostsDir.resolve(registry.host());
        Files.createDirectories(dir);
        if (hostsToml != null) {
            Files.writeString(dir.resolve("hosts.toml"), hostsToml);
        }
        Files.writeString(dir.resolve("ca.crt"), ca.certificatePem());
        return RegistryClient.create(RegistryClientTest.config().hostsDir(hostsDir).build(),
                CredentialStore.ANONYMOUS);
    }

    private static void pushAndResolve(RegistryClient client, String repo) throws IOException {
        ImageReference ref = ImageReference.parse(registry.host() + "/" + repo + ":1");
        TestImages.Pushed image = TestImages.push(client, ref, List.of("small1-default.esgz"),
                Platform.parse("linux/amd64"));
        assertEquals(image.digest(), client.resolve(ref).reference().digest());
        assertEquals(16, client.openBlob(ref, image.layers().get(0)).read(0, 16).length);
    }

    @Test
    void caFromHostsTomlIsTrusted(@TempDir Path hostsDir) throws IOException {
        try (RegistryClient client = client(hostsDir, "server = \"" + registry.url() + "\"\nca = \"ca.crt\"\n")) {
            pushAndResolve(client, "tls/ca");
        }
    }

    @Test
    void dockerStyleCertificateDirectoryIsTrusted(@TempDir Path hostsDir) throws IOException {
        try (RegistryClient client = client(hostsDir, null)) {
            assertEquals("https", client.hosts(registry.host()).get(0).scheme());
            pushAndResolve(client, "tls/certs-d");
        }
    }

    @Test
    void skipVerifyTrustsAnyCertificate(@TempDir Path hostsDir) throws IOException {
        try (RegistryClient client = client(hostsDir, "server = \"" + registry.url() + "\"\nskip_verify = true\n")) {
            pushAndResolve(client, "tls/skip");
        }
    }

    @Test
    void anUntrustedCertificateFailsAtOnceWithATlsError(@TempDir Path hostsDir) throws IOException {
        try (RegistryClient client = client(hostsDir, "server = \"" + registry.url() + "\"\n")) {
            SSLException e = assertThrows(SSLException.class,
                    () -> client.resolve(ImageReference.parse(registry.host() + "/tls/none:1")));
            assertTrue(e.getMessage().contains("certification path") || e.getMessage().contains("PKIX"),
                    e.getMessage());
            assertEquals(0, client.metrics().total().retries());
        }
    }
}
