package io.jstargz.snapshotter.config;

import java.nio.file.Path;
import java.util.List;

/**
 * The daemon's configuration ({@code /etc/jstargz/config.toml}); every key has a working default, see
 * {@code docs/configuration.md}. Sections the snapshotter does not use yet are passed on to the modules that do.
 *
 * @param root                 state directory: {@code metadata.db}, {@code snapshots/}, default cache
 * @param address              the unix socket containerd connects to
 * @param logLevel             trace, debug, info, warn or error
 * @param metricsAddress       {@code host:port} for Prometheus metrics over HTTP; {@code ""} disables them
 * @param allowNoVerification  honour the {@code stargz.skipverify} label (layers without TOC digest checks)
 * @param warmUp               once serving, run the lazy-pull path a few times on a tiny local layer, so the pulls
 *                             after a start run compiled code
 * @param memory               what the daemon's heap is sized for ({@link MemoryBudget})
 * @param criKeychain          {@code [cri_keychain]}: the kubelet's pull secrets, through a CRI ImageService proxy
 * @param debugAddress         loopback {@code host:port} for the diagnostics endpoint (thread dump, heap summary, FUSE
 *                             operations in flight); {@code ""} disables it
 */
public record Config(Path root, Path address, String logLevel, String metricsAddress, boolean allowNoVerification,
                     boolean warmUp, CacheConfig cache, RegistryConfig registry, FuseConfig fuse, FetchConfig fetch,
                     MemoryConfig memory, CriKeychainConfig criKeychain, String debugAddress) {
    /** Where {@code jstargz serve} looks for its configuration when no file is named. */
    public static final Path DEFAULT_FILE = Path.of("/etc/jstargz/config.toml");
    /** The log levels, most verbose first: the order messages list them in. */
    public static final List<String> LOG_LEVELS = List.of("trace", "debug", "info", "warn", "error");

    public Config {
        ConfigChecks.require(root.isAbsolute(), "root", "must be an absolute path");
        ConfigChecks.require(address.isAbsolute(), "address", "must be an absolute path");
        ConfigChecks.require(LOG_LEVELS.contains(logLevel), "log_level",
                "must be one of " + String.join(", ", LOG_LEVELS) + ", not \"" + logLevel + "\"");
        if (!metricsAddress.isEmpty()) {
            ListenAddress.parse("metrics_address", metricsAddress);
        }
        // thread dumps and heap figures are for the node's operator only
        ConfigChecks.require(debugAddress.isEmpty() || ListenAddress.parse("debug_address", debugAddress).isLoopback(),
                "debug_address", "must be a loopback host:port (e.g. 127.0.0.1:9136), not \"" + debugAddress + "\"");
    }

    /** The configuration used when no file exists. */
    public static Config defaults() {
        return new Config(Path.of("/var/lib/jstargz"), Path.of("/run/jstargz/jstargz.sock"), "info", "", false, true,
                CacheConfig.defaults(), RegistryConfig.defaults(), FuseConfig.defaults(), FetchConfig.defaults(),
                MemoryConfig.defaults(), CriKeychainConfig.defaults(), "");
    }

    public Config withRoot(Path newRoot) {
        return new Config(newRoot, address, logLevel, metricsAddress, allowNoVerification, warmUp, cache, registry,
                fuse, fetch, memory, criKeychain, debugAddress);
    }

    public Config withAddress(Path newAddress) {
        return new Config(root, newAddress, logLevel, metricsAddress, allowNoVerification, warmUp, cache, registry,
                fuse, fetch, memory, criKeychain, debugAddress);
    }

    public Config withLogLevel(String newLogLevel) {
        return new Config(root, address, newLogLevel, metricsAddress, allowNoVerification, warmUp, cache, registry,
                fuse, fetch, memory, criKeychain, debugAddress);
    }

    public Config withMetricsAddress(String newMetricsAddress) {
        return new Config(root, address, logLevel, newMetricsAddress, allowNoVerification, warmUp, cache, registry,
                fuse, fetch, memory, criKeychain, debugAddress);
    }

    public Config withWarmUp(boolean newWarmUp) {
        return new Config(root, address, logLevel, metricsAddress, allowNoVerification, newWarmUp, cache, registry,
                fuse, fetch, memory, criKeychain, debugAddress);
    }

    public Config withDebugAddress(String newDebugAddress) {
        return new Config(root, address, logLevel, metricsAddress, allowNoVerification, warmUp, cache, registry,
                fuse, fetch, memory, criKeychain, newDebugAddress);
    }

    /** The chunk cache directory: {@code cache.dir}, or {@code <root>/cache} when that is empty. */
    public Path cacheDir() {
        return cache.dir().isEmpty() ? root.resolve("cache") : Path.of(cache.dir());
    }
}
