package io.jstargz.fs.binding;

import io.jstargz.fs.binding.linux.FuseMounts;
import io.jstargz.fs.binding.linux.MountWatchdog;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A separate JVM that mounts a {@link MemoryTree} at {@code args[0]} (with the binding {@link FuseBindings#PROPERTY}
 * names), prints {@code mounted <watchdog pid>} and then serves until it is killed: lets tests kill a mounting process
 * with SIGKILL. Options after the mount point: {@code --keep SOCKET} keeps its connection with that keeper
 * ({@link MountHandle#keep}); {@code --copy FILE} passes big.bin through to that copy; {@code --hand-over-at-exit
 * SOCKET} hands the mount over to that inbox when the JVM exits (SIGTERM), first thing at exit
 * ({@link FuseMounts#atExitFirst}).
 */
public final class MountChild {
    /** The label the child keeps its connection under. */
    static final String LABEL = "memory-tree";
    private static final Duration WAIT = Duration.ofSeconds(60);

    private MountChild() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = new HashMap<>();
        for (int i = 1; i + 1 < args.length; i += 2) {
            options.put(args[i], args[i + 1]);
        }
        Path copy = options.containsKey("--copy") ? Path.of(options.get("--copy")) : null;
        MountHandle h = FuseBindings.byDefault().mount(Path.of(args[0]), new MemoryTree(copy),
                MountOptions.forLayer("memory-tree").withPassthrough(copy != null));
        h.awaitMounted(Duration.ofSeconds(30));
        if (options.containsKey("--keep")) {
            h.keep(options.get("--keep"), LABEL);
        }
        if (options.containsKey("--hand-over-at-exit")) {
            FuseMounts.atExitFirst(() -> {
                try {
                    h.handOver(options.get("--hand-over-at-exit"), LABEL, WAIT);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
        System.out.println("mounted " + MountWatchdog.instance().pid());
        System.out.flush();
        h.unmounted().get();
    }

    /** Starts a child mounting at {@code mp} with {@code binding}, with {@code options} (see the class). */
    static Process start(Path mp, FuseBinding binding, String... options) throws IOException {
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<String> command = new ArrayList<>(List.of(java, "-Dfile.encoding=UTF-8",
                "--enable-native-access=ALL-UNNAMED", "-D" + FuseBindings.PROPERTY + "=" + binding.name()));
        if (Runtime.version().feature() >= 23) {
            command.add("--sun-misc-unsafe-memory-access=allow"); // jnr-ffi
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), MountChild.class.getName(),
                mp.toString()));
        command.addAll(List.of(options));
        return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    /** Waits for the child's {@code mounted} line; returns its watchdog's pid. */
    static long awaitMounted(Process child) throws Exception {
        CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
            try {
                return new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))
                        .readLine();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        String got = line.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        if (got == null || !got.startsWith("mounted ")) {
            throw new AssertionError("the mounting child said: " + got);
        }
        return Long.parseLong(got.substring("mounted ".length()));
    }

    /** Waits for process {@code pid} to exit. */
    static void awaitExit(long pid) throws Exception {
        Optional<ProcessHandle> p = ProcessHandle.of(pid);
        if (p.isPresent()) {
            p.get().onExit().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        }
    }
}
