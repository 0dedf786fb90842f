package io.jstargz.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jstargz.process.Command;
import io.jstargz.remote.hosts.RegistryHost;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.tls.HandshakeCertificates;
import okhttp3.tls.HeldCertificate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Client keys as openssl writes them, in each encoding containerd reads (PKCS#1, SEC1, PKCS#8), used in a real TLS
 * handshake with a server that requires a client certificate.
 */
class ClientKeyFormatsTest {
    @TempDir
    Path tmp;

    private void openssl(String... args) throws IOException {
        Command.of(List.of(args)).in(tmp).run(Duration.ofSeconds(60)).orThrow();
    }

    /** A key in {@code format} and a self-signed certificate for it, both written by openssl. */
    private RegistryHost.ClientCertificate keyPair(String format) throws IOException {
        switch (format) {
            case "pkcs1" -> openssl("openssl", "genrsa", "-traditional", "-out", "client.key", "2048");
            case "sec1" -> openssl("openssl", "ecparam", "-name", "prime256v1", "-genkey", "-out", "client.key");
            case "pkcs8-rsa" -> openssl("openssl", "genpkey", "-algorithm", "RSA", "-out", "client.key");
            case "pkcs8-ed25519" -> openssl("openssl", "genpkey", "-algorithm", "ed25519", "-out", "client.key");
            default -> throw new IllegalArgumentException(format);
        }
        openssl("openssl", "req", "-new", "-x509", "-key", "client.key", "-subj", "/CN=jstargz-client", "-days", "1",
                "-out", "client.crt");
        return new RegistryHost.ClientCertificate(tmp.resolve("client.crt"), tmp.resolve("client.key"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"pkcs1", "sec1", "pkcs8-rsa", "pkcs8-ed25519"})
    void eachEncodingOpensAMutualTlsConnection(String format) throws Exception {
        RegistryHost.ClientCertificate client = keyPair(format);
        String pem = Files.readString(client.key());
        assertTrue(pem.contains(switch (format) {
            case "pkcs1" -> "BEGIN RSA PRIVATE KEY";
            case "sec1" -> "BEGIN EC PRIVATE KEY";
            default -> "BEGIN PRIVATE KEY";
        }), "openssl wrote the encoding under test: " + pem.lines().findFirst().orElse(""));
        X509Certificate clientCert;
        try (var in = Files.newInputStream(client.certificate())) {
            clientCert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        HeldCertificate serverCert = new HeldCertificate.Builder().commonName("localhost")
                .addSubjectAlternativeName("localhost").ecdsa256().build();
        HandshakeCertificates serverSide = new HandshakeCertificates.Builder().heldCertificate(serverCert)
                .addTrustedCertificate(clientCert).build();
        try (MockWebServer server = new MockWebServer()) {
            server.useHttps(serverSide.sslSocketFactory());
            server.requireClientAuth();
            server.enqueue(new MockResponse.Builder().body("ok").build());
            server.start();
            Path ca = Files.writeString(tmp.resolve("server-ca.crt"), serverCert.certificatePem());
            RegistryHost host = new RegistryHost("127.0.0.1:" + server.getPort(), "https",
                    "127.0.0.1:" + server.getPort(), "/v2", Set.of(), List.of(ca), List.of(client), false, Map.of(),
                    false);
            OkHttpClient http = TlsContexts.configure(new OkHttpClient(), host);
            try (Response r = http.newCall(new Request.Builder().url(server.url("/v2/")).build()).execute()) {
                assertEquals("ok", r.body().string());
            }
            assertEquals(clientCert, server.takeRequest().getHandshake().peerCertificates().get(0),
                    "the server saw the client's certificate");
        }
    }

    @Test
    void anEncryptedOrMissingKeyIsNamed() throws Exception {
        openssl("openssl", "genpkey", "-algorithm", "ed25519", "-aes256", "-pass", "pass:secret", "-out", "enc.key");
        assertEquals("the private key in " + tmp.resolve("enc.key") + " is encrypted; containerd and jstargz read"
                + " unencrypted keys (openssl pkey -in <key> -out <plain key>)", assertThrows(IOException.class,
                () -> TlsContexts.readPrivateKey(tmp.resolve("enc.key"))).getMessage());
        Path none = Files.writeString(tmp.resolve("none.pem"), "not a key\n");
        assertEquals("no private key (BEGIN PRIVATE KEY, BEGIN RSA PRIVATE KEY or BEGIN EC PRIVATE KEY) in " + none,
                assertThrows(IOException.class, () -> TlsContexts.readPrivateKey(none)).getMessage());
    }
}
