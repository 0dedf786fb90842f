package io.jstargz.remote.hosts;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One endpoint serving a registry: a mirror from hosts.toml or the registry's own server.
 *
 * @param registry           the registry name it serves ({@code docker.io}, {@code host:5000})
 * @param scheme             {@code https} or {@code http}
 * @param authority          {@code host[:port]} to connect to
 * @param path               the API root, normally {@code /v2}
 * @param capabilities       what it may be used for
 * @param caCertificates     PEM files trusted in addition to the system's roots
 * @param clientCertificates client certificates for mutual TLS
 * @param skipVerify         whether to skip server certificate verification
 * @param headers            extra headers for every request to this host
 * @param mirror             {@code true} for a {@code [host."…"]} entry, {@code false} for the server
 */
public record RegistryHost(String registry, String scheme, String authority, String path,
                           Set<Capability> capabilities, List<Path> caCertificates,
                           List<ClientCertificate> clientCertificates, boolean skipVerify,
                           Map<String, List<String>> headers, boolean mirror) {

    /** A client certificate and its key (PKCS#8 PEM); {@code key} is {@code null} when the key is in the same file. */
    public record ClientCertificate(Path certificate, Path key) {
    }

    public RegistryHost {
        capabilities = Set.copyOf(capabilities);
        caCertificates = List.copyOf(caCertificates);
        clientCertificates = List.copyOf(clientCertificates);
        headers = Map.copyOf(headers);
    }

    /** {@code scheme://authority/path}, the prefix of every API URL on this host. */
    public String baseUrl() {
        return scheme + "://" + authority + path;
    }

    public boolean can(Capability capability) {
        return capabilities.contains(capability);
    }

    /** Whether this host needs TLS settings other than the JVM's defaults. */
    public boolean hasCustomTls() {
        return skipVerify || !caCertificates.isEmpty() || !clientCertificates.isEmpty();
    }

    @Override
    public String toString() {
        return (mirror ? "mirror " : "") + baseUrl();
    }
}
