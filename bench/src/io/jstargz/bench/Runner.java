package io.jstargz.bench;

import io.jstargz.process.CommandResult;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.time.LocalTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One measured run: cold node, pull, run the workload to its exit, then let background fetching settle. */
final class Runner {
    /** Link silence that counts as "background fetch finished" (the reference waits 5 s before starting it). */
    private final Duration quiet;
    private final Duration settleMax;
    private final Mode.ImagesBy imagesBy;
    private final Sandbox sandbox;
    private final Images images;

    Runner(Sandbox sandbox, Images images, Duration quiet, Duration settleMax, Mode.ImagesBy imagesBy) {
        this.sandbox = sandbox;
        this.images = images;
        this.quiet = quiet;
        this.settleMax = settleMax;
        this.imagesBy = imagesBy;
    }

    /**
     * What one run measured, when the workload exited ({@code AtEnd}) and when background fetching settled. Times in
     * seconds. {@code wireBytes}: every byte the link carried to the node (HTTP headers and responses still in
     * flight included); {@code requests} and {@code bodyBytes}: completed requests and their response bodies as the
     * registry logged them. Memory of the snapshotter daemon in KiB (0 for overlayfs).
     */
    record Result(String image, String net, String mode, String variant, int run,
                  double pullSeconds, double runSeconds, double totalSeconds,
                  long wireBytesAtEnd, long requestsAtEnd, long bodyBytesAtEnd,
                  boolean settled, double settleSeconds, long wireBytesSettled, long requestsSettled,
                  long bodyBytesSettled, long rssKiBAtEnd, long rssKiBSettled, long hwmKiBSettled,
                  Internals jstargz) {
    }

    /**
     * What jstargz reported about a run (null for other snapshotters): its status and metrics when the workload
     * exited and after settling, and each layer's mount, {@code atMs} after the pull began.
     */
    record Internals(JstargzProbe.Status statusAtEnd, JstargzProbe.Status statusSettled,
                     Map<String, Double> metricsAtEnd, Map<String, Double> metricsSettled, List<MountTiming> mounts) {
    }

    /** One layer's mount: logged {@code atMs} after the pull began; index (resolve + TOC) and mount times. */
    record MountTiming(String layer, long atMs, String index, long indexMs, long mountMs) {
    }

    Result run(BenchImage image, Net net, Mode mode, int index) throws IOException, InterruptedException {
        Variant variant = mode.variant(imagesBy);
        List<Path> registryFiles = new ArrayList<>();
        for (BenchImage pulled : image.pulled()) {
            registryFiles.addAll(images.stored(pulled, variant).files());
        }
        sandbox.coldStart(mode.snapshotter, registryFiles);
        LinkProxy link = sandbox.link(net);
        if (image.before != null) {
            // the node has run another image, and fetched all of it, before the measured one arrives
            pullAndRun(image.before, net, mode, variant, "before-" + index);
            link.activity().awaitQuiet(quiet, settleMax);
        }
        Daemons.Running daemon = sandbox.snapshotter();
        JstargzProbe probe = daemon == null ? null : daemon.probe();
        Map<String, Double> metrics0 = probe == null || image.before == null ? Map.of() : probe.metrics();
        Registry registry = sandbox.registry();
        Registry.Counters reg0 = registry.counters();
        LinkProxy.Counters link0 = link.counters();

        LocalTime wallAtStart = LocalTime.now();
        long t0 = System.nanoTime();
        Timed timed = pullAndRun(image.measured(), net, mode, variant, "bench-" + index);
        long tEnd = System.nanoTime();
        Registry.Counters atEnd = registry.counters().minus(reg0);
        long wireAtEnd = link.counters().minus(link0).bytesToClient();
        Service.Memory memEnd = daemon == null ? Service.Memory.NONE : daemon.service().memory();
        JstargzProbe.Status statusAtEnd = probe == null ? null : probe.status();
        Map<String, Double> metricsAtEnd = probe == null ? null : since(probe.metrics(), metrics0);

        boolean settled = !mode.lazy() || link.activity().awaitQuiet(quiet, settleMax);
        Registry.Counters atSettle = registry.counters().minus(reg0);
        long wireSettled = link.counters().minus(link0).bytesToClient();
        double settleSeconds = Math.max(0, (link.activity().lastNanos() - t0) / 1e9);
        Service.Memory memSettled = daemon == null ? Service.Memory.NONE : daemon.service().memory();
        Internals internals = probe == null ? null : new Internals(statusAtEnd, probe.status(), metricsAtEnd,
                since(probe.metrics(), metrics0), probe.mounts().stream().filter(m -> !m.at().isBefore(wallAtStart))
                .map(m -> new MountTiming(m.layer(), Duration.between(wallAtStart, m.at()).toMillis(), m.index(),
                        m.indexMs(), m.mountMs()))
                .toList());
        return new Result(image.id, net.id, mode.id, variant.tag, index,
                timed.pullSeconds(), timed.runSeconds(), (tEnd - t0) / 1e9,
                wireAtEnd, atEnd.requests(), atEnd.bytes(),
                settled, mode.lazy() ? settleSeconds : (tEnd - t0) / 1e9, wireSettled, atSettle.requests(),
                atSettle.bytes(), memEnd.rssKiB(), memSettled.rssKiB(), memSettled.hwmKiB(), internals);
    }

    private record Timed(double pullSeconds, double runSeconds) {
    }

    /** Counters ({@code *_total}) as increments over {@code base}; other samples as they are. */
    private static Map<String, Double> since(Map<String, Double> now, Map<String, Double> base) {
        Map<String, Double> out = new LinkedHashMap<>(now);
        base.forEach((k, v) -> {
            if (k.contains("_total")) {
                out.computeIfPresent(k, (key, n) -> n - v);
            }
        });
        return out;
    }

    /** Pulls {@code image} (lazily in lazy modes) and runs its workload to its exit, checking what it printed. */
    private Timed pullAndRun(BenchImage image, Net net, Mode mode, Variant variant, String container)
            throws IOException, InterruptedException {
        ContainerdService c = sandbox.containerd();
        String ref = sandbox.host(net) + "/" + Images.repository(image) + ":" + variant.tag;
        CommandResult pull = mode.lazy()
                ? c.ctrRemote("image", "rpull", "--hosts-dir", c.hostsDir(), "--snapshotter", mode.snapshotter.name,
                        ref)
                : c.ctr("image", "pull", "--hosts-dir", c.hostsDir(), ref);
        List<String> run = new ArrayList<>(List.of("run", "--snapshotter", mode.snapshotter.name, ref, container));
        run.addAll(image.workload);
        CommandResult workload = c.ctr(run.toArray(String[]::new));
        if (!workload.output().strip().equals(image.expectedOutput)) {
            throw new IOException(image.id + " on " + mode.id + ": the workload printed \"" + workload.output().strip()
                    + "\", expected \"" + image.expectedOutput + "\"");
        }
        return new Timed(seconds(pull.elapsed()), seconds(workload.elapsed()));
    }

    private static double seconds(Duration d) {
        return d.toNanos() / 1e9;
    }
}
