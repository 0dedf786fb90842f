package io.jstargz.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** Cleaning up after a test: killing the processes it left. */
public final class Processes {
    private Processes() {
    }

    /** Kills (SIGKILL) every process whose command line matches, and waits for each to exit. */
    public static void killAll(Predicate<String> cmdline) {
        for (ProcessHandle h : ProcessHandle.allProcesses().toList()) {
            if (h.pid() != ProcessHandle.current().pid() && cmdline.test(cmdline(h.pid()))) {
                h.destroyForcibly();
                h.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(t -> h).join();
            }
        }
    }

    private static String cmdline(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")),
                    StandardCharsets.UTF_8).replace('\0', ' ');
        } catch (IOException e) {
            return ""; // exited meanwhile, or not ours to read
        }
    }
}
