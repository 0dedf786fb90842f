package io.jstargz.snapshotter.metrics;

import io.jstargz.metrics.LatencyHistogram;
import io.jstargz.snapshotter.fs.LayerStats;
import io.jstargz.snapshotter.snapshot.Snapshotter;
import io.prometheus.metrics.model.registry.Collector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code jstargz_operation_duration_seconds{op}}: histograms of the operations an operator alerts on, as the reference
 * exports {@code operation_duration_milliseconds} by operation. The daemon keeps them as {@link LatencyHistogram}s
 * (no exporter types on the read path); this collector turns them into Prometheus' classic histogram when scraped.
 *
 * <ul>
 *   <li>{@code prepare}: containerd's Prepare calls, a remote layer's mount included;</li>
 *   <li>{@code mount}: opening a lazily pulled layer (its index) and mounting it;</li>
 *   <li>{@code on_demand_fetch}: the registry fetches of reads that missed the cache;</li>
 *   <li>{@code registry_request}: every request to a registry, until its answer's headers.</li>
 * </ul>
 */
final class OperationDurations implements Collector {
    static final String NAME = "jstargz_operation_duration_seconds";

    private static final double[] UPPER_BOUNDS = bounds();

    private final Supplier<LayerStats> stats;
    private final Snapshotter snapshotter;

    OperationDurations(Supplier<LayerStats> stats, Snapshotter snapshotter) {
        this.stats = stats;
        this.snapshotter = snapshotter;
    }

    @Override
    public String getPrometheusName() {
        return NAME;
    }

    @Override
    public MetricSnapshot collect() {
        LayerStats s = stats.get();
        Map<String, LatencyHistogram.Snapshot> ops = new LinkedHashMap<>();
        ops.put("prepare", snapshotter.prepareLatency());
        ops.put("mount", s.mountLatency());
        ops.put("on_demand_fetch", s.onDemandLatency());
        ops.put("registry_request", s.registryLatency());
        HistogramSnapshot.Builder b = HistogramSnapshot.builder().name(NAME)
                .help("Time operations took, by operation: prepare, mount, on_demand_fetch, registry_request");
        ops.forEach((op, h) -> b.dataPoint(HistogramDataPointSnapshot.builder()
                .classicHistogramBuckets(ClassicHistogramBuckets.of(UPPER_BOUNDS, h.counts()))
                .sum(h.seconds()).labels(Labels.of("op", op)).build()));
        return b.build();
    }

    private static double[] bounds() {
        double[] b = Arrays.copyOf(LatencyHistogram.BOUNDS_SECONDS, LatencyHistogram.BOUNDS_SECONDS.length + 1);
        b[b.length - 1] = Double.POSITIVE_INFINITY;
        return b;
    }
}
