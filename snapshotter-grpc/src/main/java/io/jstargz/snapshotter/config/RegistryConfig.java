package io.jstargz.snapshotter.config;

/**
 * {@code [registry]}: how remote layers are fetched.
 *
 * @param hostsDir              containerd-style {@code hosts.toml} directory (mirrors, TLS, plain HTTP)
 * @param dockerConfig          docker {@code config.json} with registry credentials; {@code ""} means
 *                              {@code $DOCKER_CONFIG/config.json} or {@code ~/.docker/config.json}
 * @param connectTimeoutSeconds TCP and TLS connect timeout
 * @param requestTimeoutSeconds limit for one HTTP request, including reading the body
 * @param readTimeoutSeconds    longest silence of a connection while a response is awaited or read; then the request
 *                              fails (and is retried on a fresh connection)
 */
public record RegistryConfig(String hostsDir, String dockerConfig, int connectTimeoutSeconds,
                             int requestTimeoutSeconds, int readTimeoutSeconds) {
    public RegistryConfig {
        ConfigChecks.require(connectTimeoutSeconds > 0, "registry.connect_timeout_seconds", "must be > 0");
        ConfigChecks.require(requestTimeoutSeconds > 0, "registry.request_timeout_seconds", "must be > 0");
        ConfigChecks.require(readTimeoutSeconds > 0, "registry.read_timeout_seconds", "must be > 0");
    }

    static RegistryConfig defaults() {
        return new RegistryConfig("/etc/containerd/certs.d", "", 10, 60, 30);
    }
}
