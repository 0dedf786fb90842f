package io.jstargz.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** What a result depends on besides the code: the machine, its load, the versions of the parts, the options. */
final class Environment {
    private Environment() {
    }

    static Map<String, Object> describe(Path repo, String[] args, Options o, List<Mode> modes) throws IOException {
        Map<String, Object> env = new LinkedHashMap<>();
        env.put("date", OffsetDateTime.now().truncatedTo(ChronoUnit.SECONDS).toString());
        List<String> shown = new ArrayList<>(List.of(args));
        int w = shown.indexOf("--workdir"); // added by the bench/run script
        if (w >= 0 && w + 1 < shown.size()) {
            shown.subList(w, w + 2).clear();
        }
        env.put("command", ("bench/run " + String.join(" ", shown)).strip());
        env.put("machine", machine());
        env.put("load average at start", loadAverage());
        env.put("commit", first(repo, "git", "describe", "--always", "--dirty"));
        env.put("containerd", first(repo, o.containerd().containerd().toString(), "--version"));
        env.put("runc", first(repo, "/usr/sbin/runc", "--version"));
        if (modes.stream().anyMatch(m -> m.snapshotter == Mode.Snapshotter.JSTARGZ)) {
            String java = Cmd.run(List.of(repo.resolve("bin/jstargz").toString()), Duration.ofMinutes(1), null,
                    Map.of("JSTARGZ_WHICH_JAVA", "1")).output().strip();
            env.put("jstargz JVM", java + ": " + first(repo, java, "-version"));
        }
        if (modes.stream().anyMatch(m -> m.snapshotter == Mode.Snapshotter.STARGZ)) {
            String pkg = "golang-github-containerd-stargz-snapshotter-dev";
            env.put("reference", "stargz-snapshotter 0.12 library (Debian " + pkg + " "
                    + first(repo, "dpkg-query", "-W", "-f=${Version}", pkg) + ") served by bench/refsnapshotter");
        }
        env.put("modes", modes.stream().map(m -> m.id + " (" + m.variant(o.imagesBy()).tag + ")")
                .collect(Collectors.joining(", ")));
        env.put("link", String.format(Locale.ROOT, "bench LinkProxy, %.0f ms each way, %d Mbit/s per direction",
                Net.LINK.oneWayDelayMillis, Net.LINK.bitsPerSecond / 1_000_000));
        env.put("runs per cell", o.runs());
        env.put("settled when", "no byte crossed the link for " + o.quiet().toSeconds() + " s (at most "
                + o.settleMax().toSeconds() + " s)");
        return env;
    }

    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static String machine() throws IOException {
        String cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                .map(l -> l.substring(l.indexOf(':') + 1).strip()).findFirst().orElse("unknown CPU");
        long memKiB = Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal:"))
                .mapToLong(l -> Long.parseLong(l.replaceAll("[^0-9]", ""))).findFirst().orElse(0);
        return String.format(Locale.ROOT, "%s, %d cores, %.0f GiB RAM, Linux %s", cpu,
                Runtime.getRuntime().availableProcessors(), memKiB / 1048576.0, System.getProperty("os.version"));
    }

    private static String first(Path repo, String... command) {
        try {
            String out = Cmd.run(List.of(command), Duration.ofMinutes(1), repo, Map.of()).output().strip();
            return out.isEmpty() ? "unknown" : out.lines().findFirst().orElse("unknown");
        } catch (IOException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }
}
