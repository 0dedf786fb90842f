package io.jstargz.cli;

import java.util.concurrent.Callable;
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
final class BlobCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Without a subcommand there is nothing to do: the usage, on stderr, and a usage error's exit code. */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return CommandLine.ExitCode.USAGE;
    }
}
