package io.jstargz.bench;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The second table: for the jstargz cells, where the time and the bytes went, from jstargz's own reports. */
final class JstargzTable {
    private static final String READ = "jstargz_fetched_bytes_total{by=\"read\"}";
    private static final String NEIGHBOUR = "jstargz_fetched_bytes_total{by=\"neighbour\"}";
    private static final String PREFETCH = "jstargz_fetched_bytes_total{by=\"prefetch\"}";
    private static final String BACKGROUND = "jstargz_fetched_bytes_total{by=\"background\"}";
    private static final String REQUESTS = "jstargz_registry_requests_total";
    private static final String FUSE_COUNT = "jstargz_fuse_operation_seconds_count";
    private static final String FUSE_SECONDS = "jstargz_fuse_operation_seconds_sum";
    private static final String FUSE_READS = FUSE_COUNT + "{op=\"read\"}";

    private JstargzTable() {
    }

    /** The table, or "" when no run went through jstargz. */
    static String markdown(Map<String, List<Runner.Result>> byCell) {
        StringBuilder s = new StringBuilder();
        for (List<Runner.Result> rs : byCell.values()) {
            if (rs.get(0).jstargz() == null) {
                continue;
            }
            if (s.length() == 0) {
                s.append("\njstargz's own account (medians). Layers: lazily mounted / pulled normally (fallback) at "
                        + "exit, fully local after settling. Mounted at: when the last layer's Prepare logged its "
                        + "mount, after the pull began; index: the first layer's wait for its TOC (resolve and fetch; "
                        + "later layers' TOCs come in parallel); mount: the longest a FUSE mount went on after its "
                        + "Prepare answered. MiB fetched by "
                        + "on-demand reads / as their neighbours / the prefetch / the background fetch, at exit; "
                        + "registry requests jstargz sent at exit / settled; FUSE requests the mounts served until "
                        + "exit (of them reads), and the milliseconds their Java handlers took (the kernel's and the "
                        + "binding's transport not included).\n\n");
                s.append("| image | net | mode | layers lazy / fallback / local | mounted at ms | index ms | mount ms |"
                        + " MiB read / neighbours / prefetch / background | requests exit / settled |"
                        + " FUSE requests (reads) | FUSE handler ms |\n");
                s.append("|---|---|---|---|---:|---:|---:|---|---|---|---:|\n");
            }
            Runner.Result r0 = rs.get(0);
            s.append(String.format(Locale.ROOT, "| %s | %s | %s | %.0f / %.0f / %.0f | %.0f | %.0f | %.0f |"
                            + " %.2f / %.2f / %.2f / %.2f | %.0f / %.0f | %.0f (%.0f) | %.1f |%n",
                    r0.image(), r0.net(), r0.mode(),
                    median(rs, r -> r.jstargz().statusAtEnd().mounted()),
                    median(rs, r -> r.jstargz().statusAtEnd().fallback() + r.jstargz().statusAtEnd().failed()),
                    median(rs, r -> r.jstargz().statusSettled().fullyFetched()),
                    median(rs, r -> r.jstargz().mounts().stream().mapToLong(Runner.MountTiming::atMs).max()
                            .orElse(0)),
                    median(rs, r -> r.jstargz().mounts().isEmpty() ? 0 : r.jstargz().mounts().get(0).indexMs()),
                    median(rs, r -> r.jstargz().mounts().stream().mapToLong(Runner.MountTiming::mountMs).max()
                            .orElse(0)),
                    median(rs, r -> metric(r.jstargz().metricsAtEnd(), READ)) / 1048576,
                    median(rs, r -> metric(r.jstargz().metricsAtEnd(), NEIGHBOUR)) / 1048576,
                    median(rs, r -> metric(r.jstargz().metricsAtEnd(), PREFETCH)) / 1048576,
                    median(rs, r -> metric(r.jstargz().metricsAtEnd(), BACKGROUND)) / 1048576,
                    median(rs, r -> metric(r.jstargz().metricsAtEnd(), REQUESTS)),
                    median(rs, r -> metric(r.jstargz().metricsSettled(), REQUESTS)),
                    median(rs, r -> sumOf(r.jstargz().metricsAtEnd(), FUSE_COUNT)),
                    median(rs, r -> metric(r.jstargz().metricsAtEnd(), FUSE_READS)),
                    median(rs, r -> sumOf(r.jstargz().metricsAtEnd(), FUSE_SECONDS)) * 1000));
        }
        return s.toString();
    }

    private static double metric(Map<String, Double> metrics, String key) {
        return metrics.getOrDefault(key, 0.0);
    }

    /** The sum of a metric's samples over all its labels ({@code name{op="read"}}, {@code name{op="open"}}...). */
    private static double sumOf(Map<String, Double> metrics, String name) {
        return metrics.entrySet().stream().filter(e -> e.getKey().startsWith(name + "{"))
                .mapToDouble(Map.Entry::getValue).sum();
    }

    private static double median(List<Runner.Result> rs, java.util.function.ToDoubleFunction<Runner.Result> f) {
        return Report.Stat.of(rs, f).median();
    }
}
