package io.jstargz.bench;

import io.jstargz.concurrent.Threads;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A long-running process (registry, containerd, a snapshotter daemon): its output goes to a log file and, line by
 * line, to an optional listener; {@link #start} returns once a line says it is ready.
 */
final class Service implements AutoCloseable {
    private final String name;
    private final Process process;
    private final Path log;

    private Service(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    /** Memory of a process from /proc/PID/status, in KiB: resident now and the peak. */
    record Memory(long rssKiB, long hwmKiB) {
        static final Memory NONE = new Memory(0, 0);
    }

    /**
     * Starts {@code command} and waits (up to {@code deadline}) for an output line matching {@code ready}; fails with
     * the log's tail if the process exits or the deadline passes first.
     */
    static Service start(String name, List<String> command, Map<String, String> env, Path log,
                         Predicate<String> ready, Consumer<String> lines, Duration deadline) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(env);
        Files.createDirectories(log.getParent());
        Process p = pb.start();
        p.getOutputStream().close();
        Service s = new Service(name, p, log);
        CompletableFuture<Void> up = new CompletableFuture<>();
        Threads.start(name + "-log", () -> s.pump(ready, lines, up));
        p.onExit().thenRun(() -> up.completeExceptionally(
                new IOException(name + " exited with " + p.exitValue() + " before it was ready")));
        try {
            up.get(deadline.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            s.close();
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            String why = e instanceof TimeoutException ? "was not ready within " + deadline : e.getMessage();
            throw new IOException(name + " " + why + "; " + String.join(" ", command) + "\n" + s.logTail(), e);
        }
        return s;
    }

    private void pump(Predicate<String> ready, Consumer<String> lines, CompletableFuture<Void> up) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8));
             BufferedWriter out = Files.newBufferedWriter(log)) {
            for (String line; (line = r.readLine()) != null; ) {
                out.write(line);
                out.newLine();
                out.flush();
                if (lines != null) {
                    lines.accept(line);
                }
                if (!up.isDone() && ready.test(line)) {
                    up.complete(null);
                }
            }
        } catch (IOException e) {
            up.completeExceptionally(e);
        }
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process.isAlive();
    }

    Memory memory() {
        return memory(process.pid());
    }

    static Memory memory(long pid) {
        try {
            long rss = 0;
            long hwm = 0;
            for (String l : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (l.startsWith("VmRSS:")) {
                    rss = kib(l);
                } else if (l.startsWith("VmHWM:")) {
                    hwm = kib(l);
                }
            }
            return new Memory(rss, hwm);
        } catch (IOException e) {
            return Memory.NONE; // exited
        }
    }

    private static long kib(String statusLine) {
        return Long.parseLong(statusLine.replaceAll("[^0-9]", ""));
    }

    String logTail() {
        try {
            if (!Files.exists(log)) {
                return "(no log)";
            }
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(log unreadable: " + e.getMessage() + ")";
        }
    }

    /** SIGTERM, then SIGKILL after 20 seconds. */
    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                System.err.println("bench: " + name + " ignored SIGTERM for 20 s; killing it");
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return name + " (pid " + process.pid() + ")";
    }
}
