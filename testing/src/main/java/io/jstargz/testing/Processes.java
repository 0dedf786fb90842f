package io.jstargz.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** Running commands with a deadline, finding processes, unmounting leftovers. */
public final class Processes {
    private Processes() {
    }

    /** Runs {@code command}, collecting its output; kills it and fails at the deadline. */
    public static CommandResult run(List<String> command, Duration deadline) throws IOException {
        return run(command, Map.of(), deadline);
    }

    /** Runs {@code command} with {@code env} added to this process's environment, as {@link #run(List, Duration)}. */
    public static CommandResult run(List<String> command, Map<String, String> env, Duration deadline)
            throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "(output unreadable: " + e.getMessage() + ")";
            }
        });
        try {
            if (!p.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", command) + " did not finish within " + deadline);
            }
            return new CommandResult(command, p.exitValue(), output.get(10, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted running " + command, e);
        } catch (Exception e) {
            throw new IOException("cannot read the output of " + command + ": " + e.getMessage(), e);
        }
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

    /** Lazily unmounts every mount point at or below {@code dir}, deepest first. */
    public static void unmountAllUnder(Path dir) throws IOException {
        Path base = dir.toAbsolutePath().normalize();
        List<Path> mounts = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] f = line.split(" ");
            Path mp = Path.of(unescape(f[4]));
            if (mp.startsWith(base)) {
                mounts.add(mp);
            }
        }
        mounts.sort(Comparator.comparingInt(Path::getNameCount).reversed());
        for (Path mp : mounts) {
            run(List.of("umount", "-l", mp.toString()), Duration.ofSeconds(30));
        }
    }

    private static String unescape(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == '\\' && i + 3 < s.length()) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(s.charAt(i));
            }
        }
        return b.toString();
    }
}
