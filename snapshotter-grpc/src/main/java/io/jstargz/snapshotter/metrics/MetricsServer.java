package io.jstargz.snapshotter.metrics;

import io.jstargz.BuildInfo;
import io.jstargz.cache.CacheStats;
import io.jstargz.concurrent.ThreadPools;
import io.jstargz.snapshotter.config.ListenAddress;
import io.jstargz.snapshotter.snapshot.FetchProgress;
import io.jstargz.snapshotter.snapshot.LayerStatus;
import io.jstargz.snapshotter.snapshot.Snapshotter;
import io.jstargz.snapshotter.fs.LayerStats;
import io.jstargz.snapshotter.snapshot.RemoteLayerState;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.SummaryWithCallback;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Quantiles;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prometheus metrics over HTTP ({@code metrics_address}, path {@code /metrics}). Every value is read when scraped
 * from counters and {@link io.jstargz.metrics.LatencyHistogram}s the daemon keeps anyway (a clock read and two
 * additions per timed operation): the exporter's types stay off the read and Prepare paths. The JVM's and the
 * process's own metrics come from Prometheus' JVM instrumentation.
 */
public final class MetricsServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MetricsServer.class);
    private static final int SCRAPE_THREADS = 2;

    private final HTTPServer server;

    private MetricsServer(HTTPServer server) {
        this.server = server;
    }

    /**
     * Serves the metrics on {@code address} ({@code host:port}, {@code [::1]:port}; port 0 picks a free one).
     *
     * @param stats    what the lazily pulled layers did
     * @param degraded why the daemon cannot keep up what it promises now, or empty
     */
    public static MetricsServer start(String address, Supplier<LayerStats> stats,
                                      Supplier<Optional<String>> degraded, Snapshotter snapshotter)
            throws IOException {
        InetSocketAddress at = ListenAddress.parse("metrics_address", address).socketAddress();
        PrometheusRegistry registry = new PrometheusRegistry();
        register(registry, stats, snapshotter);
        GaugeWithCallback.builder().name("jstargz_degraded")
                .help("1 when the daemon cannot keep up what it promises (jstargz status says why), else 0")
                .callback(cb -> cb.call(degraded.get().isPresent() ? 1 : 0)).register(registry);
        // scrapes are rare and short: two threads at most, none while idle (the exporter's own pool keeps one for
        // good and starts up to 10; 7 after a pull of the python image with a scrape every few seconds)
        HTTPServer server = HTTPServer.builder().inetAddress(at.getAddress()).port(at.getPort()).registry(registry)
                .executorService(ThreadPools.bounded("jstargz-metrics", SCRAPE_THREADS)).buildAndStart();
        LOG.info("metrics on http://{}:{}/metrics", at.getHostString(), server.getPort());
        return new MetricsServer(server);
    }

    /** The port the metrics are served on. */
    public int port() {
        return server.getPort();
    }

    private static void register(PrometheusRegistry r, Supplier<LayerStats> stats, Snapshotter snapshotter) {
        GaugeWithCallback.builder().name("jstargz_remote_layers")
                .help("Layers containerd asked to pull lazily, by state (mounted, fallback, failed)")
                .labelNames("state").callback(cb -> states(snapshotter).forEach((state, n) ->
                        cb.call(n, state.name().toLowerCase(Locale.ROOT)))).register(r);
        GaugeWithCallback.builder().name("jstargz_mounted_layers").help("Layers mounted now")
                .callback(cb -> cb.call(stats.get().mountedLayers())).register(r);
        CounterWithCallback.builder().name("jstargz_fetched_bytes")
                .help("Compressed layer bytes fetched, by what fetched them").labelNames("by")
                .callback(cb -> {
                    LayerStats s = stats.get();
                    cb.call(s.onDemandBytes(), "read");
                    cb.call(s.neighbourBytes(), "neighbour");
                    cb.call(s.prefetchedBytes(), "prefetch");
                    cb.call(s.backgroundBytes(), "background");
                }).register(r);
        counter(r, "jstargz_fetch_requests", "Range requests the layer fetchers sent",
                () -> stats.get().fetchRequests());
        counter(r, "jstargz_failed_reads", "Reads answered with EIO", () -> stats.get().failedReads());
        SummaryWithCallback.builder().name("jstargz_fuse_operation_seconds")
                .help("FUSE requests the layers' mounts served, by operation, and the time their handlers took (the"
                        + " kernel's and the binding's transport are not included)")
                .labelNames("op").callback(cb -> stats.get().fuseOperations().forEach((op, t) ->
                        cb.call(t.count(), t.nanos() / 1e9, Quantiles.EMPTY, op))).register(r);
        CounterWithCallback.builder().name("jstargz_cache_lookups").help("Chunk cache lookups, by result")
                .labelNames("result").callback(cb -> {
                    CacheStats c = stats.get().cache();
                    cb.call(c.memoryHits(), "memory_hit");
                    cb.call(c.diskHits(), "disk_hit");
                    cb.call(c.misses(), "miss");
                }).register(r);
        GaugeWithCallback.builder().name("jstargz_cache_bytes").help("Bytes in the chunk cache, by tier")
                .labelNames("tier").callback(cb -> {
                    CacheStats c = stats.get().cache();
                    cb.call(c.memoryBytes(), "memory");
                    cb.call(c.diskBytes(), "disk");
                }).register(r);
        counter(r, "jstargz_cache_evictions", "Chunks evicted from disk", () -> stats.get().cache().evictions());
        counter(r, "jstargz_registry_requests", "HTTP requests to registries", () -> stats.get().registry().requests());
        counter(r, "jstargz_registry_received_bytes", "Bytes received from registries",
                () -> stats.get().registry().bytesReceived());
        counter(r, "jstargz_registry_failures", "Registry requests that failed",
                () -> stats.get().registry().failures());
        counter(r, "jstargz_registry_retries", "Registry requests retried", () -> stats.get().registry().retries());
        layers(r, snapshotter);
        r.register(new OperationDurations(stats, snapshotter));
        GaugeWithCallback.builder().name("jstargz_build_info").help("The running build; always 1")
                .labelNames("version", "java_version")
                .callback(cb -> cb.call(1, BuildInfo.current().version(), Runtime.version().toString())).register(r);
        JvmMetrics.builder().register(r);
    }

    /** Each mounted layer's size and what of it is local, by layer digest (one mount serves a digest). */
    private static void layers(PrometheusRegistry r, Snapshotter snapshotter) {
        GaugeWithCallback.builder().name("jstargz_layer_fetched_bytes")
                .help("Bytes of each mounted layer that are local (cached, or holding no file contents)")
                .labelNames("layer").callback(cb -> mountedLayers(snapshotter).forEach((layer, p) ->
                        cb.call(p.fetchedBytes(), layer))).register(r);
        GaugeWithCallback.builder().name("jstargz_layer_size_bytes").help("Compressed size of each mounted layer")
                .labelNames("layer").callback(cb -> mountedLayers(snapshotter).forEach((layer, p) ->
                        cb.call(p.totalBytes(), layer))).register(r);
    }

    private static Map<String, FetchProgress> mountedLayers(Snapshotter snapshotter) {
        Map<String, FetchProgress> out = new TreeMap<>();
        try {
            for (LayerStatus l : snapshotter.status()) {
                if (l.remote().isPresent() && !l.progress().equals(FetchProgress.UNKNOWN)) {
                    out.putIfAbsent(l.remote().get().layerDigest(), l.progress());
                }
            }
        } catch (Exception e) {
            LOG.warn("metrics: cannot read the remote layers: {}", e.getMessage());
        }
        return out;
    }

    private static void counter(PrometheusRegistry r, String name, String help, Supplier<Long> value) {
        CounterWithCallback.builder().name(name).help(help).callback(cb -> cb.call(value.get())).register(r);
    }

    private static Map<RemoteLayerState, Integer> states(Snapshotter snapshotter) {
        Map<RemoteLayerState, Integer> out = new EnumMap<>(RemoteLayerState.class);
        for (RemoteLayerState s : RemoteLayerState.values()) {
            out.put(s, 0);
        }
        try {
            for (LayerStatus l : snapshotter.status()) {
                l.remote().ifPresent(rec -> out.merge(rec.state(), 1, Integer::sum));
            }
        } catch (Exception e) {
            LOG.warn("metrics: cannot read the remote layers: {}", e.getMessage());
        }
        return out;
    }

    @Override
    public void close() {
        server.close();
    }
}
