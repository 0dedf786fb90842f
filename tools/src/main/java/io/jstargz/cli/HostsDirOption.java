package io.jstargz.cli;

import io.jstargz.remote.RegistryClient;
import io.jstargz.remote.RegistryConfig;
import java.nio.file.Path;
import java.util.Set;
import picocli.CommandLine.Option;

/**
 * The registry options of the commands that read images: hosts.toml files (mirrors, TLS, plain HTTP, headers);
 * credentials come from docker's config.json, as for the daemon.
 */
final class HostsDirOption {

    @Option(names = "--hosts-dir", paramLabel = "DIR", description = "containerd-style hosts.toml directory for "
            + "registry mirrors, TLS and headers. Default: /etc/containerd/certs.d.")
    Path hostsDir = RegistryConfig.DEFAULT_HOSTS_DIR;

    RegistryClient registry() {
        return registry(Set.of());
    }

    /** A client that reaches {@code plainHttpHosts} over plain HTTP unless their hosts.toml says otherwise. */
    RegistryClient registry(Set<String> plainHttpHosts) {
        return RegistryClient.create(RegistryConfig.builder().hostsDir(hostsDir).plainHttpHosts(plainHttpHosts)
                .build());
    }
}
