package io.jstargz.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code bench/run}: time to a running container, bytes fetched and daemon memory, per image × network × mode, from
 * a cold node each run. See {@link Options#USAGE} and docs/benchmarks.md.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) throws Exception {
        Path repo = Path.of(System.getProperty("bench.repo", ".")).toAbsolutePath().normalize();
        Options o;
        try {
            o = Options.parse(args, repo);
        } catch (IllegalArgumentException e) {
            System.err.print((e.getMessage().isEmpty() ? "" : "bench/run: " + e.getMessage() + "\n") + Options.USAGE);
            System.exit(2);
            return;
        }
        if (o.checkLink()) {
            System.out.print(LinkCheck.run(Net.LINK.oneWayDelayMillis, Net.LINK.bitsPerSecond));
            return;
        }
        if (o.containerd().missing() != null) {
            System.err.println("bench/run: containerd " + o.containerd().id + ": " + o.containerd().missing());
            System.exit(2);
            return;
        }
        Path cache = repo.resolve("bench/.cache");
        Path storage = cache.resolve("registry");
        Daemons daemons = new Daemons(repo, cache.resolve("refsnapshotter"));
        Path workdir = o.workdir() != null ? Files.createDirectories(o.workdir())
                : Files.createTempDirectory(Path.of("/var/tmp"), "jstargz-bench-");
        Sandbox sandbox = Sandbox.open(workdir, storage, daemons, o.containerd());
        Thread cleanup = new Thread(sandbox::closeQuietly, "bench-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        try {
            Images images = new Images(repo, cache, storage, sandbox);
            List<Mode> modes = modes(o, daemons, images, cache);
            List<String> sizes = new ArrayList<>();
            for (BenchImage image : o.images().stream().flatMap(i -> i.pulled().stream()).distinct().toList()) {
                for (Mode mode : modes) {
                    Variant v = mode.variant(o.imagesBy());
                    images.ensure(image, v);
                    Images.Stored size = images.stored(image, v);
                    String line = String.format(Locale.ROOT, "%s:%s: %.1f MiB in %d layers", Images.repository(image),
                            v.tag, size.compressedBytes() / 1048576.0, size.layers());
                    if (!sizes.contains(line)) {
                        sizes.add(line);
                    }
                }
            }
            if (o.prepareOnly()) {
                sizes.forEach(System.out::println);
            } else {
                measure(args, o, repo, sandbox, images, modes, sizes);
            }
        } finally {
            sandbox.closeQuietly();
            try {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            } catch (IllegalStateException e) {
                // a signal started the JVM's shutdown; the hook has cleaned up already or is doing it
            }
        }
    }

    private static void measure(String[] args, Options o, Path repo, Sandbox sandbox, Images images, List<Mode> modes,
                                List<String> sizes)
            throws IOException, InterruptedException {
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Path md = o.out().resolve(stamp + ".md");
        Path json = o.out().resolve(stamp + ".json");
        Map<String, Object> env = Environment.describe(repo, args, o, modes);
        Runner runner = new Runner(sandbox, images, o.quiet(), o.settleMax(), o.imagesBy());
        List<Runner.Result> results = new ArrayList<>();
        int total = o.images().size() * o.nets().size() * o.runs() * modes.size();
        // modes interleaved within each round, so that drift in the machine's load touches all of them alike
        for (BenchImage image : o.images()) {
            for (Net net : o.nets()) {
                for (int run = 1; run <= o.runs(); run++) {
                    for (Mode mode : modes) {
                        Runner.Result r = runner.run(image, net, mode, run);
                        results.add(r);
                        System.err.printf(Locale.ROOT, "[%d/%d] %s %s %s #%d: pull %.2f s, run %.2f s, total %.2f s;"
                                        + " %.2f MiB at exit, %.2f MiB settled at %.1f s%n", results.size(), total,
                                image.id, net.id, mode.id, run, r.pullSeconds(), r.runSeconds(), r.totalSeconds(),
                                r.wireBytesAtEnd() / 1048576.0, r.wireBytesSettled() / 1048576.0,
                                r.settleSeconds());
                        env.put("load average at end", Environment.loadAverage());
                        Report.write(md, json, env, sizes, results);
                    }
                }
            }
        }
        System.out.print(Files.readString(md));
        System.err.println("bench: results in " + md + " and " + json);
    }

    /** The modes asked for, or all whose parts exist; a mode asked for whose parts are missing is an error. */
    private static List<Mode> modes(Options o, Daemons daemons, Images images, Path cache) throws IOException {
        List<Mode> wanted = o.modes().isEmpty() ? List.of(Mode.values()) : o.modes();
        List<Mode> modes = new ArrayList<>();
        for (Mode m : wanted) {
            String missing = missing(m, o, daemons, images, cache);
            if (missing == null) {
                modes.add(m);
            } else if (!o.modes().isEmpty()) {
                throw new IOException("mode " + m.id + " cannot run: " + missing);
            } else {
                System.err.println("bench: skipping mode " + m.id + ": " + missing);
            }
        }
        return modes;
    }

    /** Why mode {@code m} cannot run (with --prepare-only: cannot have its images made), or null. */
    private static String missing(Mode m, Options o, Daemons daemons, Images images, Path cache) throws IOException {
        if (m.variant(o.imagesBy()).converter == Variant.Converter.JSTARGZ && !images.jstargzConverts()) {
            return "this jstargz build has no `jstargz image convert` (use --images-by ctr-remote)";
        }
        if (o.prepareOnly()) {
            return null;
        }
        return switch (m.snapshotter) {
            case OVERLAYFS -> null;
            case STARGZ -> Files.isExecutable(cache.resolve("refsnapshotter")) ? null
                    : "the reference daemon (bench/.cache/refsnapshotter) was not built: bench/run builds it when Go"
                    + " and golang-github-containerd-stargz-snapshotter-dev are installed";
            case JSTARGZ -> daemons.jstargzServes() ? null : "this jstargz build has no `jstargz serve`";
        };
    }
}
