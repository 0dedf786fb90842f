package io.jstargz.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jstargz.process.Command;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a jstargz daemon says about itself during a run: its Prometheus metrics ({@code metrics_address}),
 * {@code jstargz status --json}, and the time each layer took to mount, from its log ({@code HH:mm:ss.SSS INFO
 * RemoteLayers: layer D of REF mounted lazily at … : index …, ready after N ms, mounted in M ms}).
 */
final class JstargzProbe {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The log line's time of day: the daemon logs RFC 3339 ({@code 2026-12-05T03:44:01.123Z}); older ones the time. */
    private static final String TIME = "(?:\\d{4}-\\d\\d-\\d\\dT)?(\\d\\d:\\d\\d:\\d\\d\\.\\d{3})(?:Z|[+-]\\d\\d:\\d\\d)?";
    private static final Pattern MOUNTED = Pattern.compile("^" + TIME + " .*layer (\\S+) of \\S+ "
            + "mounted lazily at .*: index ([^,]*), ready after (\\d+) ms");
    /** The FUSE mount serving: it finishes after Prepare has answered (Mounts waits for it). */
    private static final Pattern FUSE_MOUNTED = Pattern.compile(
            "^" + TIME + " .*LayerMount: layer (\\S+) mounted at ");
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\\{[^}]*})?) (\\S+)$");

    private final Path repo;
    private final Path socket;
    private final int metricsPort;
    private final List<Mount> mounts = new ArrayList<>();
    private final Map<String, LocalTime> fuseMounted = new HashMap<>();

    /**
     * One layer's Prepare as jstargz logged it.
     *
     * @param layer   the layer digest
     * @param at      when it was logged (the daemon's clock, local time)
     * @param index   how the index was obtained, as logged (e.g. "fetched in 1 request")
     * @param indexMs from the Prepare to the layer's index (TOC) being ready: resolve and TOC fetch
     * @param mountMs from Prepare's answer to the FUSE mount serving (0 if it was serving by then)
     */
    record Mount(String layer, LocalTime at, String index, long indexMs, long mountMs) {
    }

    /**
     * The remote layers {@code jstargz status} lists.
     *
     * @param mounted      layers mounted lazily
     * @param fallback     layers containerd had to pull normally
     * @param failed       layers whose mount failed
     * @param fullyFetched mounted layers with every byte local
     * @param reasons      why layers fell back or failed
     */
    record Status(int mounted, int fallback, int failed, int fullyFetched, List<String> reasons) {
        static final Status NONE = new Status(0, 0, 0, 0, List.of());
    }

    JstargzProbe(Path repo, Path socket, int metricsPort) {
        this.repo = repo;
        this.socket = socket;
        this.metricsPort = metricsPort;
    }

    void onLogLine(String line) {
        try {
            Matcher m = MOUNTED.matcher(line);
            if (m.find()) {
                Mount mount = new Mount(m.group(2), LocalTime.parse(m.group(1)), m.group(3).strip(),
                        Long.parseLong(m.group(4)), 0);
                synchronized (mounts) {
                    mounts.add(mount);
                    LocalTime fuse = fuseMounted.remove(mount.layer());
                    if (fuse != null) {
                        mounts.set(mounts.size() - 1, withFuseMount(mount, fuse));
                    }
                }
                return;
            }
            Matcher f = FUSE_MOUNTED.matcher(line);
            if (f.find()) {
                LocalTime at = LocalTime.parse(f.group(1));
                synchronized (mounts) {
                    fuseMounted.put(f.group(2), at);
                    for (int i = mounts.size() - 1; i >= 0; i--) {
                        if (mounts.get(i).layer().equals(f.group(2))) {
                            mounts.set(i, withFuseMount(mounts.get(i), at));
                            break;
                        }
                    }
                }
            }
        } catch (DateTimeParseException | NumberFormatException e) {
            System.err.println("bench: unexpected jstargz log line: " + line);
        }
    }

    private static Mount withFuseMount(Mount m, LocalTime fuse) {
        long ms = Math.max(0, Duration.between(m.at(), fuse).toMillis());
        return new Mount(m.layer(), m.at(), m.index(), m.indexMs(), ms);
    }

    List<Mount> mounts() {
        synchronized (mounts) {
            return List.copyOf(mounts);
        }
    }

    /** Every sample of the daemon's metrics, keyed by name and labels ({@code jstargz_fetch_requests_total}). */
    Map<String, Double> metrics() throws IOException {
        URL url = URI.create("http://127.0.0.1:" + metricsPort + "/metrics").toURL();
        String text;
        try (InputStream in = url.openStream()) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Map<String, Double> samples = new TreeMap<>();
        for (String line : text.split("\n")) {
            Matcher m = SAMPLE.matcher(line.strip());
            if (!line.startsWith("#") && m.matches() && line.startsWith("jstargz_")) {
                samples.put(m.group(1), Double.parseDouble(m.group(2)));
            }
        }
        return samples;
    }

    /** {@code jstargz status --json} of the daemon, summarized. */
    Status status() throws IOException {
        String json = Command.of(repo.resolve("bin/jstargz").toString(), "status", "--address", socket.toString(),
                "--json").run(Duration.ofMinutes(1)).orThrow();
        int mounted = 0;
        int fallback = 0;
        int failed = 0;
        int full = 0;
        List<String> reasons = new ArrayList<>();
        for (JsonNode s : JSON.readTree(json).path("snapshots")) {
            JsonNode remote = s.get("remote");
            if (remote == null) {
                continue;
            }
            switch (remote.path("state").asText()) {
                case "MOUNTED" -> {
                    mounted++;
                    long total = remote.path("totalBytes").asLong();
                    if (total > 0 && remote.path("fetchedBytes").asLong() >= total) {
                        full++;
                    }
                }
                case "FALLBACK" -> fallback++;
                default -> failed++;
            }
            if (!remote.path("reason").asText().isEmpty()) {
                reasons.add(remote.path("layerDigest").asText() + ": " + remote.path("reason").asText());
            }
        }
        return new Status(mounted, fallback, failed, full, reasons);
    }
}
