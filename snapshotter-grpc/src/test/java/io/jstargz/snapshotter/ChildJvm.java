package io.jstargz.snapshotter;

import io.jstargz.concurrent.Threads;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** A main class of the tests run as its own JVM, its output copied to the test's, with a wait for one of its lines. */
final class ChildJvm {
    private ChildJvm() {
    }

    /** A started child and the first line it printed that contained what was waited for. */
    record Started(Process process, String line) {
    }

    /**
     * Starts {@code main} with {@code args} and returns once it prints a line containing {@code line}.
     *
     * @throws AssertionError if it exits first
     */
    static Started startAndAwait(Class<?> main, String line, Duration deadline, String... args) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> command = new ArrayList<>(List.of(java.toString(), "-cp",
                System.getProperty("java.class.path"), main.getName()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        CompletableFuture<String> seen = new CompletableFuture<>();
        Threads.start("child-output", () -> {
            try (BufferedReader r = process.inputReader()) {
                for (String l; (l = r.readLine()) != null; ) {
                    System.out.println(l);
                    if (l.contains(line)) {
                        seen.complete(l);
                    }
                }
            } catch (IOException e) {
                seen.completeExceptionally(e);
            }
            seen.completeExceptionally(new AssertionError(main.getSimpleName() + " exited before printing " + line));
        });
        try {
            return new Started(process, seen.get(deadline.toMillis(), TimeUnit.MILLISECONDS));
        } catch (Exception e) {
            process.destroyForcibly();
            throw e;
        }
    }
}
