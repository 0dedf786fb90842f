package io.jstargz.cli;

import io.jstargz.image.ImageOptimizer;
import io.jstargz.image.ImageSink;
import io.jstargz.image.ImageSource;
import io.jstargz.image.ProgressPrinter;
import io.jstargz.image.RecordFile;
import io.jstargz.remote.RegistryClient;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code jstargz image optimize SRC DST -- COMMAND...}. */
@Command(name = "optimize", mixinStandardHelpOptions = true,
        description = {"Run the image's workload once (its entrypoint and cmd, or COMMAND) over its layers mounted "
            + "with jstargz's FUSE filesystem, record the files it opens, then convert the image with those files "
            + "first, so a lazy pull prefetches exactly them. Needs root, FUSE, overlayfs and runc.",
            "Prints what was recorded and a conversion summary."})
final class ImageOptimizeCommand implements Callable<Integer> {

    @Mixin
    ImageOptions image;

    @Parameters(index = "2..*", paramLabel = "COMMAND", description = "The command to run instead of the image's "
            + "entrypoint and cmd (after --).")
    List<String> command = new ArrayList<>();

    @Option(names = "--period", paramLabel = "SECONDS", converter = PositiveInt.class,
            description = "Stop the workload after this many seconds. Default: 10.")
    int period = 10;

    @Option(names = "--record-out", paramLabel = "FILE", description = "Write the recorded files there (one JSON "
            + "record per line, as ctr-remote writes them; --prioritize-list reads it back).")
    Path recordOut;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        CommandLine cmd = spec.commandLine();
        ImageOptimizer.Options options;
        try {
            options = new ImageOptimizer.Options(image.convertOptions(cmd), command,
                    Duration.ofSeconds(period), null);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cmd, e.getMessage());
        }
        var src = image.location(cmd, image.source);
        var dst = image.location(cmd, image.destination);
        ImageOptimizer.Report report;
        try (RegistryClient registry = image.registry();
             ImageSource source = src.openSource(registry);
             ImageSink sink = dst.openSink(registry, null);
             ProgressPrinter progress = image.progressPrinter(cmd, cmd.getErr())) {
            report = new ImageOptimizer(options, progress).optimize(source, sink);
        }
        if (recordOut != null) {
            RecordFile.write(recordOut, report.recorded());
        }
        PrintWriter out = cmd.getOut();
        if (!report.output().isEmpty()) {
            cmd.getErr().println("workload output (end):\n" + report.output());
        }
        out.printf("recorded %d file(s); the workload %s%n", report.recorded().size(), report.exitCode() < 0
                ? "was stopped after " + period + " s" : "exited with " + report.exitCode());
        for (RecordFile.Entry e : report.recorded()) {
            out.printf("  layer %d  %s%n", e.layerIndex(), e.path());
        }
        out.println(report.convert().summary());
        return 0;
    }
}
