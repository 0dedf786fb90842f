package io.jstargz.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code jstargz image ...}: whole images. */
@Command(name = "image", mixinStandardHelpOptions = true,
        description = "Whole images: convert them to eStargz (optionally optimized for a workload), show their "
                + "TOC digests.",
        subcommands = {
            ImageConvertCommand.class,
            ImageOptimizeCommand.class,
            ImageTocDigestCommand.class,
        })
final class ImageCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Without a subcommand there is nothing to do: the usage, on stderr, and a usage error's exit code. */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return CommandLine.ExitCode.USAGE;
    }
}
