package io.jstargz.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs a command to completion with a deadline, timing it and keeping its output. */
final class Cmd {
    /** The outcome: exit code, combined output, wall seconds from start to exit. */
    record Result(List<String> command, int exit, String output, double seconds) {
        Result orThrow() throws IOException {
            if (exit != 0) {
                throw new IOException(String.join(" ", command) + " exited with " + exit + ":\n" + tail(output));
            }
            return this;
        }
    }

    private Cmd() {
    }

    static Result run(Duration deadline, String... command) throws IOException {
        return run(List.of(command), deadline, null, Map.of());
    }

    static Result run(List<String> command, Duration deadline) throws IOException {
        return run(command, deadline, null, Map.of());
    }

    /** Runs {@code command} in {@code dir} (null: the current one) with {@code env} added; kills it at the deadline. */
    static Result run(List<String> command, Duration deadline, Path dir, Map<String, String> env) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        if (dir != null) {
            pb.directory(dir.toFile());
        }
        pb.environment().putAll(env);
        long t0 = System.nanoTime();
        Process p = pb.start();
        p.getOutputStream().close();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "(output unreadable: " + e.getMessage() + ")";
            }
        });
        try {
            if (!p.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new IOException(String.join(" ", command) + " did not finish within " + deadline);
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            return new Result(List.copyOf(command), p.exitValue(), out.get(30, TimeUnit.SECONDS), seconds);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted running " + command, e);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IOException("cannot read the output of " + command, e);
        }
    }

    /** The command line as a list: a prefix followed by more arguments. */
    static List<String> concat(List<String> prefix, String... more) {
        List<String> l = new ArrayList<>(prefix);
        l.addAll(List.of(more));
        return l;
    }

    static String tail(String s) {
        String[] lines = s.split("\n");
        int from = Math.max(0, lines.length - 30);
        return String.join("\n", java.util.Arrays.copyOfRange(lines, from, lines.length));
    }
}
