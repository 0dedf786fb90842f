package io.jstargz.process;

import io.jstargz.concurrent.Futures;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A command run to its end, with a deadline: {@code Command.of("umount", dir).run(Duration.ofSeconds(30))}. Its
 * output (stdout and stderr interleaved) is collected while it runs, so a command that writes much never blocks on a
 * full pipe; at the deadline it is killed with everything it started.
 *
 * @param args      the command line
 * @param env       variables added to this process's environment
 * @param directory where it runs; null for this process's directory
 * @param input     what it reads on stdin (empty: stdin is closed at once)
 */
public record Command(List<String> args, Map<String, String> env, Path directory, byte[] input) {

    public Command {
        args = List.copyOf(args);
        env = Map.copyOf(env);
    }

    public static Command of(String... args) {
        return of(List.of(args));
    }

    public static Command of(List<String> args) {
        return new Command(args, Map.of(), null, new byte[0]);
    }

    public Command withEnv(Map<String, String> more) {
        return new Command(args, more, directory, input);
    }

    public Command in(Path dir) {
        return new Command(args, env, dir, input);
    }

    public Command withInput(String text) {
        return new Command(args, env, directory, text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Runs the command and waits for it to exit.
     *
     * @throws IOException if it cannot be started, or does not exit within {@code deadline} (it is killed then)
     */
    public CommandResult run(Duration deadline) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(args).redirectErrorStream(true);
        if (directory != null) {
            pb.directory(directory.toFile());
        }
        pb.environment().putAll(env);
        long start = System.nanoTime();
        Process p = pb.start();
        CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
        try (OutputStream stdin = p.getOutputStream()) {
            stdin.write(input);
        } catch (IOException e) {
            // it exited without reading its input: its exit code and output say why
        }
        try {
            if (!p.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
                kill(p);
                throw new IOException(String.join(" ", args) + " did not finish within " + deadline.toSeconds()
                        + " s");
            }
        } catch (InterruptedException e) {
            kill(p);
            Thread.currentThread().interrupt();
            throw new IOException("interrupted running " + String.join(" ", args), e);
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        // the output ends when the command and whatever it started and left running have closed it
        String text = Futures.get(output, Duration.ofSeconds(30), "the output of " + String.join(" ", args));
        return new CommandResult(args, p.exitValue(), text, elapsed);
    }

    private static String readAll(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(output unreadable: " + e.getMessage() + ")";
        }
    }

    private static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
    }
}
