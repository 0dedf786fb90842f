package io.jstargz.snapshotter.fs;

import io.jstargz.fs.LayerMountOptions;
import io.jstargz.fs.binding.FuseBindings;
import io.jstargz.remote.RegistryConfig;
import io.jstargz.snapshotter.config.Config;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The daemon's configuration turned into the settings of the modules below: registry client and layer mounts. */
final class Settings {
    private static final Logger LOG = LoggerFactory.getLogger(Settings.class);
    /** ctr-remote's label: bytes to prefetch from a layer that has no prefetch landmark. */
    static final String PREFETCH_SIZE = "containerd.io/snapshot/remote/stargz.prefetch";

    private Settings() {
    }

    static RegistryConfig registry(Config config) {
        RegistryConfig.Builder b = RegistryConfig.builder()
                .hostsDir(Path.of(config.registry().hostsDir()))
                .connectTimeout(Duration.ofSeconds(config.registry().connectTimeoutSeconds()))
                .requestTimeout(Duration.ofSeconds(config.registry().requestTimeoutSeconds()))
                .checkInterval(Duration.ofSeconds(config.fuse().checkIntervalSeconds()));
        if (!config.registry().dockerConfig().isEmpty()) {
            b.dockerConfig(Path.of(config.registry().dockerConfig()));
        }
        return b.build();
    }

    /**
     * The layer mount options of {@code config}.
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
                .debug("trace".equals(config.logLevel()))
                .build();
    }

    /** Where the layers' local copies for passthrough go: the daemon's own, emptied at start. */
    static Path passthroughDir(Config config) {
        return config.root().resolve("passthrough");
    }

    /** {@code base} with what the Prepare labels ask for this layer. */
    static LayerMountOptions withLabels(LayerMountOptions base, Map<String, String> labels) {
        String size = labels.get(PREFETCH_SIZE);
        if (size == null) {
            return base;
        }
        try {
            return base.toBuilder().prefetchSizeDefault(Math.max(0, Long.parseLong(size.trim()))).build();
        } catch (NumberFormatException e) {
            LOG.warn("ignoring label {}={}: not a number of bytes", PREFETCH_SIZE, size);
            return base;
        }
    }
}
