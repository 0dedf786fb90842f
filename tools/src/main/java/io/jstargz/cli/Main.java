package io.jstargz.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.util.Arrays;
import org.slf4j.LoggerFactory;
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
        boolean debug = Arrays.asList(args).contains("--debug");
        if (debug) {
            ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).setLevel(Level.DEBUG);
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

    /** One line saying what went wrong. */
    static String describe(Throwable e) {
        if (e instanceof NoSuchFileException n) {
            return "no such file: " + n.getFile();
        }
        if (e instanceof AccessDeniedException a) {
            return "permission denied: " + a.getFile();
        }
        String message = e.getMessage();
        return message == null || message.isBlank() ? e.getClass().getSimpleName() : message.replace('\n', ' ');
    }

    /** Reports the version from the jar manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"jstargz " + (v == null ? "(development build)" : v)};
        }
    }
}
