package io.jstargz.cli;

import io.jstargz.image.ImageConvertOptions;
import io.jstargz.image.ImageLocation;
import io.jstargz.image.ProgressPrinter;
import io.jstargz.image.RecordFile;
import io.jstargz.process.Command;
import io.jstargz.process.CommandResult;
import io.jstargz.remote.Platform;
import io.jstargz.remote.RegistryClient;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** What {@code image convert} and {@code image optimize} share: locations, conversion and registry options. */
final class ImageOptions {

    @Parameters(index = "0", paramLabel = "SRC", description = {"The image to convert: oci:DIR[:TAG], "
            + "docker-archive:FILE[:REF], containerd:NAME (an image in containerd's content store), "
            + "docker://HOST/REPO:TAG or HOST/REPO:TAG."})
    String source;

    @Parameters(index = "1", paramLabel = "DST", description = "Where to write it: oci:DIR[:TAG] or a registry.")
    String destination;

    @CommandLine.Mixin
    FormatOptions format;

    @Option(names = "--prioritize-list", paramLabel = "FILE", description = {"Files to prefetch, in order: paths "
            + "in the image's final filesystem, one per line, or a record file (--record-out, or ctr-remote's). Each "
            + "goes into the topmost layer that has it."})
    Path prioritizeList;

    @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]", split = ",",
            description = "Platforms of a multi-platform image to convert (repeat or separate with commas). "
                    + "Default: all.")
    List<String> platforms = new ArrayList<>();

    @Option(names = "--uncompress", description = "Write each layer as its plain tar instead (ctr-remote "
            + "--uncompress): tar.gz and tar.zst layers are decompressed, tar layers kept.")
    boolean uncompress;

    @Option(names = "--force", description = "Convert layers that are already in the target format too.")
    boolean force;

    @Option(names = "--memory-budget", paramLabel = "N", converter = BlobConvertCommand.Sizes.class,
            description = "Memory the layer conversions may use together; bounds how many run at once. Default: 256M.")
    int memoryBudget = (int) ImageConvertOptions.DEFAULT_MEMORY_BUDGET;

    @Option(names = "--threads", paramLabel = "N", converter = PositiveInt.class,
            description = "Threads compressing each layer. Default: all cores.")
    int threads = Runtime.getRuntime().availableProcessors();

    @CommandLine.Mixin
    LocationOptions locations;

    @Option(names = "--progress", paramLabel = "MODE", description = "auto, tty (live bars) or plain (log lines). "
            + "Default: auto.")
    String progress = "auto";

    /** The conversion options, or a usage error naming the bad value. */
    ImageConvertOptions convertOptions(CommandLine cmd) throws IOException {
        List<String> files = prioritizeList == null ? List.of() : RecordFile.read(prioritizeList);
        try {
            ImageConvertOptions defaults = ImageConvertOptions.defaults();
            return defaults.withLayer(format.apply(defaults.layer()).withParallelism(threads))
                    .withPrioritizedFiles(files).withForce(force).withMemoryBudget(memoryBudget)
                    .withUncompress(uncompress)
                    .withPlatforms(platforms.stream().map(Platform::parse).toList());
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cmd, e.getMessage());
        }
    }

    ImageLocation location(CommandLine cmd, String location) {
        return locations.location(cmd, location);
    }

    RegistryClient registry() {
        return locations.registry();
    }

    ProgressPrinter progressPrinter(CommandLine cmd, PrintWriter err) {
        boolean tty = switch (progress) {
            case "tty" -> true;
            case "plain" -> false;
            case "auto" -> System.console() != null && System.getenv("TERM") != null
                    && !"dumb".equals(System.getenv("TERM"));
            default -> throw new CommandLine.ParameterException(cmd, "--progress must be auto, tty or plain, not "
                    + progress);
        };
        return new ProgressPrinter(err, tty, tty ? terminalRows() : 0);
    }

    /** The terminal's rows ({@code stty size} of /dev/tty), or a VT100's 24 when they cannot be read. */
    private static int terminalRows() {
        try {
            CommandResult r = Command.of("stty", "-F", "/dev/tty", "size").run(Duration.ofSeconds(5));
            String[] size = r.output().trim().split("\\s+");
            if (r.ok() && size.length == 2 && size[0].matches("\\d+")) {
                return Integer.parseInt(size[0]);
            }
        } catch (IOException e) {
            // no terminal to ask: the default below
        }
        return 24;
    }
}
