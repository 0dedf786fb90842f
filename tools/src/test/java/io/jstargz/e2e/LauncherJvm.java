package io.jstargz.e2e;

import io.jstargz.process.Command;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The JDK {@code bin/jstargz} runs, and what a JVM it started runs with, as that JVM reports it. */
final class LauncherJvm {
    private static final Duration DEADLINE = Duration.ofSeconds(60);

    private LauncherJvm() {
    }

    /** The java binary the launcher picks. */
    static Path java() throws IOException {
        return Path.of(Command.of(DaemonProcess.CLI.toString()).withEnv(Map.of("JSTARGZ_WHICH_JAVA", "1"))
                .run(DEADLINE).orThrow().strip());
    }

    /** The feature release of the launcher's JDK: 25 for 25.0.3. */
    static int major() throws IOException {
        Path home = java().toRealPath().getParent().getParent();
        Matcher m = Pattern.compile("(?m)^JAVA_VERSION=\"(\\d+)").matcher(Files.readString(home.resolve("release")));
        if (!m.find()) {
            throw new IOException("no JAVA_VERSION in " + home.resolve("release"));
        }
        return Integer.parseInt(m.group(1));
    }

    /** The value of VM flag {@code name} in the running JVM {@code pid}, from {@code jcmd PID VM.flags -all}. */
    static String flag(long pid, String name) throws IOException {
        String flags = Command.of(java().resolveSibling("jcmd").toString(), Long.toString(pid),
                "VM.flags", "-all").run(DEADLINE).orThrow();
        Matcher m = Pattern.compile("(?m)^\\s*\\S+\\s+" + name + "\\s+= (\\S*)").matcher(flags);
        if (!m.find()) {
            throw new IOException("JVM " + pid + " has no flag " + name + ":\n" + flags);
        }
        return m.group(1);
    }

    /** Whether the JVM {@code pid} has {@code file} mapped into its memory. */
    static boolean maps(long pid, Path file) throws IOException {
        return Files.readString(Path.of("/proc", Long.toString(pid), "maps")).contains(file.toString());
    }
}
