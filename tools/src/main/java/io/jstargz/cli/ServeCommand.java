package io.jstargz.cli;

import io.jstargz.snapshotter.Daemon;
import io.jstargz.snapshotter.Training;
import io.jstargz.snapshotter.config.Config;
import io.jstargz.snapshotter.config.ConfigLoader;
import io.jstargz.snapshotter.config.MemoryBudget;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code jstargz serve}: the snapshotter daemon containerd connects to, until SIGTERM or SIGINT. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Run the jstargz snapshotter daemon for containerd (proxy plugin) until SIGTERM or Ctrl-C.",
            "Configuration: --config FILE, else /etc/jstargz/config.toml if it exists, else the defaults;",
            "the options below override the file. See docs/configuration.md."})
final class ServeCommand implements Callable<Integer> {

    @Option(names = "--config", paramLabel = "FILE", description = "TOML configuration file.")
    Path config;

    @Option(names = "--root", paramLabel = "DIR", description = "State directory (default: /var/lib/jstargz).")
    Path root;

    @Option(names = "--address", paramLabel = "SOCK",
            description = "Unix socket to serve on (default: /run/jstargz/jstargz.sock).")
    Path address;

    @Option(names = "--log-level", paramLabel = "LEVEL",
            description = "trace, debug, info, warn or error (default: info, or the config's log_level).")
    String logLevel;

    @Option(names = "--log-format", paramLabel = "FORMAT", defaultValue = "text",
            description = "text (one line per event, RFC 3339 times) or json (one JSON object per line, logback's"
                    + " JsonEncoder). Default: ${DEFAULT-VALUE}.")
    String logFormat;

    @Option(names = "--takeover",
            description = {"Take over from the daemon running on the same root, without unmounting its layers:",
                "it hands over their FUSE connections and exits, and running containers keep reading",
                "(docs/daemon.md, \"Restarts and crashes\"). With no daemon running, start as usual."})
    boolean takeover;

    @Option(names = "--jvm-options", hidden = true,
            description = "Print the JVM options the configuration asks for (one a line) and exit; for bin/jstargz.")
    boolean jvmOptions;

    @Option(names = "--train", hidden = true,
            description = "Run the AOT training: the daemon in a temporary root, a lazy pull over its socket, a stop.")
    boolean train;

    @ParentCommand
    Main main;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (logLevel != null && !Config.LOG_LEVELS.contains(logLevel)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--log-level must be one of "
                    + String.join(", ", Config.LOG_LEVELS) + ", not '" + logLevel + "'");
        }
        if (!LogSetup.FORMATS.contains(logFormat)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--log-format must be one of "
                    + String.join(", ", LogSetup.FORMATS) + ", not '" + logFormat + "'");
        }
        Config c = ConfigLoader.load(config);
        try {
            if (root != null) {
                c = c.withRoot(root.toAbsolutePath());
            }
            if (address != null) {
                c = c.withAddress(address.toAbsolutePath());
            }
            if (logLevel != null) {
                c = c.withLogLevel(logLevel);
            } else if (main.debug) {
                c = c.withLogLevel("debug");
            }
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        if (jvmOptions) {
            MemoryBudget.of(c).jvmOptions().forEach(spec.commandLine().getOut()::println);
            return 0;
        }
        LogSetup.level(c.logLevel());
        LogSetup.format(logFormat);
        if (train) {
            Training.run(c);
        } else {
            Daemon.run(c, ConfigLoader.origin(config), takeover);
        }
        return 0;
    }
}
