package io.jstargz.cli;

import io.jstargz.image.ConvertReport;
import io.jstargz.image.ImageConverter;
import io.jstargz.image.ImageSink;
import io.jstargz.image.ImageSource;
import io.jstargz.image.ProgressPrinter;
import io.jstargz.remote.RegistryClient;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code jstargz image convert SRC DST}. */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = {"Convert every layer of an image (all platforms, or --platform) to eStargz and write the image "
            + "to DST. Layers already eStargz are kept unless --force.",
            "Prints a summary: layers, sizes before and after, time."})
final class ImageConvertCommand implements Callable<Integer> {

    @Mixin
    ImageOptions image;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        CommandLine cmd = spec.commandLine();
        var options = image.convertOptions(cmd);
        var src = image.location(cmd, image.source);
        var dst = image.location(cmd, image.destination);
        ConvertReport report;
        try (RegistryClient registry = image.registry();
             ImageSource source = src.openSource(registry);
             ImageSink sink = dst.openSink(registry, null);
             ProgressPrinter progress = image.progressPrinter(cmd, cmd.getErr())) {
            report = new ImageConverter(options, progress).convert(source, sink);
        }
        cmd.getOut().println(report.summary());
        return 0;
    }
}
