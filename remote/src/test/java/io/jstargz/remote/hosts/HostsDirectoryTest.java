package io.jstargz.remote.hosts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** containerd's hosts.toml layout: directory names, mirrors in order, capabilities, TLS files, headers, paths. */
class HostsDirectoryTest {

    @TempDir
    Path root;

    private HostsDirectory hosts() {
        return new HostsDirectory(root, r -> r.startsWith("localhost") || r.startsWith("127."));
    }

    private Path write(String dir, String toml) throws IOException {
        Path d = Files.createDirectories(root.resolve(dir));
        Files.writeString(d.resolve("hosts.toml"), toml);
        return d;
    }

    @Test
    void withoutConfigurationTheRegistryIsItsOwnServer() throws IOException {
        RegistryHost hub = hosts().hosts("docker.io").get(0);
        assertEquals("https://registry-1.docker.io/v2", hub.baseUrl());
        assertEquals(EnumSet.allOf(Capability.class), hub.capabilities());
        assertEquals("https://quay.io/v2", hosts().hosts("quay.io").get(0).baseUrl());
        assertEquals("http://localhost:5000/v2", hosts().hosts("localhost:5000").get(0).baseUrl());
        assertEquals("http://127.0.0.1:5000/v2", hosts().hosts("127.0.0.1:5000").get(0).baseUrl());
    }

    @Test
    void mirrorsComeFirstInFileOrderWithTheirSettings() throws IOException {
        Path dir = write("docker.io", """
                server = "https://registry-1.docker.io"

                [host."https://zmirror.example.com"]
                  capabilities = ["pull", "resolve"]
                  ca = "certs/mirror-ca.pem"
                  [host."https://zmirror.example.com".header]
                    x-custom = "1"
                    x-multi = ["a", "b"]

                [host."http://amirror.local:5000/prefix"]
                  capabilities = ["pull"]
                  skip_verify = true

                [host."https://raw.example.com/api/v2/base"]
                  override_path = true
                  client = [["client.cert", "/abs/client.key"]]
                """);
        List<RegistryHost> list = hosts().hosts("docker.io");
        assertEquals(List.of("https://zmirror.example.com/v2", "http://amirror.local:5000/prefix/v2",
                "https://raw.example.com/api/v2/base", "https://registry-1.docker.io/v2"),
                list.stream().map(RegistryHost::baseUrl).toList());
        RegistryHost first = list.get(0);
        assertTrue(first.mirror());
        assertEquals(Set.of(Capability.PULL, Capability.RESOLVE), first.capabilities());
        assertEquals(List.of(dir.resolve("certs/mirror-ca.pem")), first.caCertificates());
        assertEquals(Map.of("x-custom", List.of("1"), "x-multi", List.of("a", "b")), first.headers());
        assertEquals(Set.of(Capability.PULL), list.get(1).capabilities());
        assertTrue(list.get(1).skipVerify());
        assertEquals(List.of(new RegistryHost.ClientCertificate(dir.resolve("client.cert"), Path.of("/abs/client.key"))),
                list.get(2).clientCertificates());
        assertFalse(list.get(3).mirror());
        assertEquals("docker.io", list.get(3).registry());
    }

    @Test
    void portDirectoriesDefaultDirectoryAndReload() throws IOException {
        write("myreg_5000_", "[host.\"https://m1.example\"]\n");
        assertEquals("https://m1.example/v2", hosts().hosts("myreg:5000").get(0).baseUrl());
        assertEquals("https://myreg:5000/v2", hosts().hosts("myreg:5000").get(1).baseUrl());

        write("_default", "[host.\"https://fallback.example\"]\n  capabilities = [\"pull\"]\n");
        List<RegistryHost> other = hosts().hosts("other.example");
        assertEquals("https://fallback.example/v2", other.get(0).baseUrl());
        assertEquals("https://other.example/v2", other.get(1).baseUrl());

        HostsDirectory cached = hosts();
        Path file = write("live.example", "[host.\"https://one.example\"]\n").resolve("hosts.toml");
        assertEquals("https://one.example/v2", cached.hosts("live.example").get(0).baseUrl());
        Files.writeString(file, "[host.\"https://two.example\"]\n");
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(5)));
        assertEquals("https://two.example/v2", cached.hosts("live.example").get(0).baseUrl());
    }

    @Test
    void dockerCertificateFilesWithoutHostsToml() throws IOException {
        Path dir = Files.createDirectories(root.resolve("127.0.0.1:5443"));
        Files.writeString(dir.resolve("ca.crt"), "x");
        Files.writeString(dir.resolve("client.cert"), "x");
        Files.writeString(dir.resolve("client.key"), "x");
        RegistryHost host = hosts().hosts("127.0.0.1:5443").get(0);
        assertEquals("https://127.0.0.1:5443/v2", host.baseUrl(), "certificates mean TLS even on loopback");
        assertEquals(List.of(dir.resolve("ca.crt")), host.caCertificates());
        assertEquals(List.of(new RegistryHost.ClientCertificate(dir.resolve("client.cert"), dir.resolve("client.key"))),
                host.clientCertificates());
    }

    @Test
    void malformedFilesAreErrorsNamingTheFile() throws IOException {
        Path file = write("bad.example", "server = [\n").resolve("hosts.toml");
        IOException e = assertThrows(IOException.class, () -> hosts().hosts("bad.example"));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());

        write("caps.example", "[host.\"https://m\"]\n  capabilities = [\"pull\", \"fly\"]\n");
        IOException caps = assertThrows(IOException.class, () -> hosts().hosts("caps.example"));
        assertTrue(caps.getMessage().contains("unknown capability 'fly'"), caps.getMessage());

        write("url.example", "server = \"ftp://x\"\n");
        IOException url = assertThrows(IOException.class, () -> hosts().hosts("url.example"));
        assertTrue(url.getMessage().contains("ftp://x"), url.getMessage());
    }
}
