package io.jstargz.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code jstargz blob ...}: work with single eStargz blobs on local disk. */
@Command(name = "blob", mixinStandardHelpOptions = true,
        description = "Convert, inspect and verify eStargz blobs (local files).",
        subcommands = {
            BlobConvertCommand.class,
            BlobInspectCommand.class,
            BlobVerifyCommand.class,
        })
final class BlobCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
