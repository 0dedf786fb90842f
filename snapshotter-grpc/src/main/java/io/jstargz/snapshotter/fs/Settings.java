package io.jstargz.snapshotter.fs;

import io.jstargz.fs.FetchMemory;
import io.jstargz.fs.LayerMountOptions;
import io.jstargz.fs.binding.FuseBindings;
import io.jstargz.remote.RegistryConfig;
import io.jstargz.snapshotter.config.Config;
import io.jstargz.snapshotter.config.MemoryBudget;
import java.nio.file.Path;
import java.time.Duration;

/** The daemon's configuration turned into the settings of the modules below: registry client and layer mounts. */
final class Settings {

    private Settings() {
    }

    static RegistryConfig registry(Config config) {
        RegistryConfig.Builder b = RegistryConfig.builder()
                .hostsDir(Path.of(config.registry().hostsDir()))
                .connectTimeout(Duration.ofSeconds(config.registry().connectTimeoutSeconds()))
                .requestTimeout(Duration.ofSeconds(config.registry().requestTimeoutSeconds()))
                .readTimeout(Duration.ofSeconds(config.registry().readTimeoutSeconds()))
                .checkInterval(Duration.ofSeconds(config.fuse().checkIntervalSeconds()));
        if (!config.registry().dockerConfig().isEmpty()) {
            b.dockerConfig(Path.of(config.registry().dockerConfig()));
        }
        return b.build();
    }

    /**
     * The layer mount options of {@code config}, with one {@link FetchMemory} for all the layers they mount (the share
     * of the heap {@link MemoryBudget} sets aside for fetches in flight).
     *
     * @throws IllegalStateException if the configured FUSE binding cannot run here (the message says why)
     */
    static LayerMountOptions mountOptions(Config config) {
        return LayerMountOptions.builder()
                .binding(FuseBindings.create(FuseBindings.Choice.of(config.fuse().binding())))
                .passthroughDir(config.fuse().passthrough() ? passthroughDir(config) : null)
                .prefetch(config.fetch().prefetch())
                .backgroundFetch(config.fetch().backgroundFetch())
                .neighbourBytes(config.fetch().neighbourBytes())
                .mountTimeout(Duration.ofSeconds(config.fuse().mountTimeoutSeconds()))
                .cacheTimeout(Duration.ofSeconds(config.fuse().cacheTimeoutSeconds()))
                .readTimeout(Duration.ofSeconds(config.fuse().readTimeoutSeconds()))
                .readAheadKib(config.fuse().readAheadKib())
                .debug("trace".equals(config.logLevel()))
                .fetchMemory(new FetchMemory(MemoryBudget.READ_FETCH_BYTES, MemoryBudget.BACKGROUND_FETCH_BYTES))
                .build();
    }

    /** Where the layers' local copies for passthrough go: the daemon's own, emptied at start. */
    static Path passthroughDir(Config config) {
        return config.root().resolve("passthrough");
    }
}
