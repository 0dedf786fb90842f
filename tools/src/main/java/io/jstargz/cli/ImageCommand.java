package io.jstargz.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code jstargz image ...}: whole images. */
@Command(name = "image", mixinStandardHelpOptions = true,
        description = "Convert whole images to eStargz, optionally optimized for a workload.",
        subcommands = {
            ImageConvertCommand.class,
            ImageOptimizeCommand.class,
        })
final class ImageCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
