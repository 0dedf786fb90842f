package io.jstargz.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/** The results as a Markdown table (median and min–max per cell) and as JSON (every run, plus the summary). */
final class Report {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** Median and range of one measure over a cell's runs. */
    record Stat(double median, double min, double max) {
        static Stat of(List<Runner.Result> runs, ToDoubleFunction<Runner.Result> f) {
            double[] v = runs.stream().mapToDouble(f).sorted().toArray();
            int n = v.length;
            double median = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
            return new Stat(median, v[0], v[n - 1]);
        }

        String seconds() {
            return String.format(Locale.ROOT, "%.2f (%.2f–%.2f)", median, min, max);
        }

        String mib() {
            return String.format(Locale.ROOT, "%.2f", median / 1048576);
        }
    }

    /** One image × net × mode with its runs summarized. */
    record Cell(String image, String net, String mode, String variant, int runs, Stat pull, Stat run, Stat total,
                Stat wireBytesAtEnd, Stat requestsAtEnd, Stat wireBytesSettled, Stat requestsSettled,
                Stat settleSeconds,
                int settledRuns, Stat rssKiBAtEnd, Stat rssKiBSettled, Stat hwmKiBSettled) {
        static Cell of(List<Runner.Result> rs) {
            Runner.Result r0 = rs.get(0);
            return new Cell(r0.image(), r0.net(), r0.mode(), r0.variant(), rs.size(),
                    Stat.of(rs, Runner.Result::pullSeconds), Stat.of(rs, Runner.Result::runSeconds),
                    Stat.of(rs, Runner.Result::totalSeconds), Stat.of(rs, Runner.Result::wireBytesAtEnd),
                    Stat.of(rs, Runner.Result::requestsAtEnd), Stat.of(rs, Runner.Result::wireBytesSettled),
                    Stat.of(rs, Runner.Result::requestsSettled), Stat.of(rs, Runner.Result::settleSeconds),
                    (int) rs.stream().filter(Runner.Result::settled).count(),
                    Stat.of(rs, Runner.Result::rssKiBAtEnd), Stat.of(rs, Runner.Result::rssKiBSettled),
                    Stat.of(rs, Runner.Result::hwmKiBSettled));
        }
    }

    private Report() {
    }

    /** The runs grouped by image × net × mode, in the order they first ran. */
    static Map<String, List<Runner.Result>> byCell(List<Runner.Result> results) {
        Map<String, List<Runner.Result>> byCell = new LinkedHashMap<>();
        for (Runner.Result r : results) {
            byCell.computeIfAbsent(r.image() + "|" + r.net() + "|" + r.mode(), k -> new ArrayList<>()).add(r);
        }
        return byCell;
    }

    static String markdown(Map<String, Object> environment, List<String> imageSizes, List<Cell> cells) {
        StringBuilder s = new StringBuilder();
        s.append("# Time to a running container\n\n");
        environment.forEach((k, v) -> s.append("- ").append(k).append(": ").append(v).append('\n'));
        s.append("\nImages in the registry (compressed layers):\n\n");
        imageSizes.forEach(l -> s.append("- ").append(l).append('\n'));
        s.append("\nSeconds are median (min–max) over the runs. MiB (medians) are all bytes the link carried from "
                + "the registry to the node, HTTP headers included; requests (medians) are those the registry logged "
                + "as completed. \"At exit\" is when the workload exited; \"settled\" after background fetching "
                + "stopped (no byte on the link for the quiet period), with the time of the last byte counted from "
                + "the start of the pull. Daemon memory is the snapshotter daemon's RSS (MiB) when the workload exited "
                + "and after settling, and its peak (VmHWM).\n\n");
        s.append("| image | net | mode | pull s | run s | total s | MiB at exit | req. at exit | MiB settled |"
                + " req. settled | settled at s | daemon RSS MiB exit / settled / peak |\n");
        s.append("|---|---|---|---|---|---|---:|---:|---:|---:|---|---|\n");
        for (Cell c : cells) {
            boolean daemon = c.rssKiBSettled().max() > 0;
            s.append(String.format(Locale.ROOT,
                    "| %s | %s | %s | %s | %s | **%s** | %s | %.0f | %s | %.0f | %s | %s |%n",
                    c.image(), c.net(), c.mode(), c.pull().seconds(), c.run().seconds(), c.total().seconds(),
                    c.wireBytesAtEnd().mib(), c.requestsAtEnd().median(), c.wireBytesSettled().mib(),
                    c.requestsSettled().median(),
                    c.settledRuns() == c.runs() ? String.format(Locale.ROOT, "%.1f", c.settleSeconds().median())
                            : String.format(Locale.ROOT, "%.1f (%d of %d quiet)", c.settleSeconds().median(),
                            c.settledRuns(), c.runs()),
                    daemon ? String.format(Locale.ROOT, "%.0f / %.0f / %.0f", c.rssKiBAtEnd().median() / 1024,
                            c.rssKiBSettled().median() / 1024, c.hwmKiBSettled().median() / 1024) : "–"));
        }
        return s.toString();
    }

    static void write(Path md, Path json, Map<String, Object> environment, List<String> imageSizes,
                      List<Runner.Result> results) throws IOException {
        Map<String, List<Runner.Result>> byCell = byCell(results);
        List<Cell> cells = byCell.values().stream().map(Cell::of).toList();
        Files.createDirectories(md.getParent());
        Path svg = md.resolveSibling(md.getFileName().toString().replaceAll("\\.md$", "") + ".svg");
        Files.writeString(md, markdown(environment, imageSizes, cells) + "\n![time to a running container]("
                + svg.getFileName() + ")\n\n" + JstargzTable.markdown(byCell));
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("environment", environment);
        doc.put("images", imageSizes);
        doc.put("cells", cells);
        doc.put("runs", results);
        JSON.writeValue(json.toFile(), doc);
        Files.writeString(svg, Chart.render(JSON.readTree(json.toFile())));
    }
}
