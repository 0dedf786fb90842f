package io.jstargz.cli;

import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import io.jstargz.BuildInfo;
import io.jstargz.snapshotter.StartupException;
import java.util.Arrays;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The {@code jstargz} command. Each subcommand is a class listed in {@code subcommands}; adding one is one line.
 * Errors end as one line on stderr and exit code 1 (2 for usage errors); {@code --debug} adds stack traces and
 * debug logging.
 */
@Command(name = "jstargz", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Lazy-pulling eStargz snapshotter for containerd, and its tools.",
        subcommands = {
            BlobCommand.class,
            ImageCommand.class,
            MountCommand.class,
            PullCommand.class,
            ServeCommand.class,
            StatusCommand.class,
            ShellDocsCommand.class,
        })
public final class Main implements Runnable {

    @Option(names = "--debug", scope = ScopeType.INHERIT, description = "Log debug messages and print stack traces.")
    boolean debug;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        int code;
        try {
            code = run(args);
        } catch (OutOfMemoryError e) {
            System.err.println("jstargz: out of memory (" + e.getMessage() + "); give the JVM more with "
                    + "JAVA_OPTS=-Xmx...");
            code = 1;
        }
        System.exit(code);
    }

    /** Runs the CLI on stdout and stderr (UTF-8, whatever the locale) and returns the exit code. */
    static int run(String... args) {
        return run(new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true),
                new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true), args);
    }

    /** Runs the CLI with the given output streams and returns the exit code. */
    static int run(PrintWriter out, PrintWriter err, String... args) {
        LogSetup.bridgeJul();
        boolean debug = Arrays.asList(args).contains("--debug");
        if (debug) {
            LogSetup.level("debug");
        }
        CommandLine cli = new CommandLine(new Main()).setOut(out).setErr(err)
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    err.println("jstargz: " + describe(e));
                    if (debug) {
                        e.printStackTrace(err);
                    }
                    return 1;
                });
        int code = cli.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /** One line saying what went wrong; a refused start, one line per problem. */
    static String describe(Throwable e) {
        if (e instanceof StartupException s) {
            return "cannot start the daemon:\n  " + String.join("\n  ", s.problems());
        }
        if (e instanceof NoSuchFileException n) {
            return "no such file: " + n.getFile();
        }
        if (e instanceof AccessDeniedException a) {
            return "permission denied: " + a.getFile();
        }
        String message = e.getMessage();
        return message == null || message.isBlank() ? e.getClass().getSimpleName() : message.replace('\n', ' ');
    }

    /** The version and commit the jar was built from. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"jstargz " + BuildInfo.current()};
        }
    }
}
