package io.jstargz.testing;

import io.jstargz.concurrent.Threads;
import io.jstargz.mount.FileTrees;
import io.jstargz.process.Command;
import io.jstargz.process.CommandResult;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A real containerd for tests ({@link ContainerdRelease}: the system's 1.6, or 2.1 from a private directory),
 * isolated in its own directory: own root, state, sockets and config, with jstargz as proxy snapshotter plugin
 * {@code jstargz}. {@link #ctr} runs that release's {@code ctr} against it. {@link #close()} stops it, kills the
 * shims it started and unmounts what it left mounted.
 */
public final class Containerd implements AutoCloseable {
    /** stargz-snapshotter's ctr: {@code image rpull} labels each layer for a remote snapshotter. */
    public static final Path CTR_REMOTE = Path.of("/usr/bin/ctr-remote");
    public static final Path RUNC = Path.of("/usr/sbin/runc");
    /** The name the proxy snapshotter is registered under ({@code --snapshotter jstargz}). */
    public static final String SNAPSHOTTER = "jstargz";
    private static final Duration START_DEADLINE = Duration.ofSeconds(60);
    private static final Duration COMMAND_DEADLINE = Duration.ofSeconds(120);

    /**
     * How to start containerd.
     *
     * @param dir              directory for containerd's root, state, sockets, config and log
     * @param snapshotterSocket the jstargz socket for {@code [proxy_plugins.jstargz]}
     * @param snapshotterRoot  the jstargz root, exported to CRI as {@code exports.root}
     * @param cri              enable the CRI plugin with jstargz as its snapshotter
     * @param release          which containerd
     */
    public record Options(Path dir, Path snapshotterSocket, Path snapshotterRoot, boolean cri,
                          ContainerdRelease release) {
        /** Options for the release under test ({@link ContainerdRelease#underTest()}). */
        public Options(Path dir, Path snapshotterSocket, Path snapshotterRoot, boolean cri) {
            this(dir, snapshotterSocket, snapshotterRoot, cri, ContainerdRelease.underTest());
        }
    }

    private final Options options;
    private final Process process;
    private final Path address;
    private final Path log;

    private Containerd(Options options, Process process, Path address, Path log) {
        this.options = options;
        this.process = process;
        this.address = address;
        this.log = log;
    }

    /** Starts containerd and returns once it has booted (it logs so), or fails with its log. */
    public static Containerd start(Options options) throws IOException {
        Path dir = Files.createDirectories(options.dir());
        Path address = dir.resolve("containerd.sock");
        Path config = dir.resolve("config.toml");
        Files.writeString(config, ContainerdConfig.render(options, address));
        return launch(options, address, List.of("--config", config.toString()));
    }

    /**
     * Starts containerd on {@code configFile} as it is, with only its root, state and socket moved under
     * {@code options.dir()} by containerd's own flags (so it runs beside any other containerd); the snapshotter and
     * CRI settings of {@code options} are not used.
     */
    public static Containerd startWithConfig(Options options, Path configFile) throws IOException {
        Path dir = Files.createDirectories(options.dir());
        Path address = dir.resolve("containerd.sock");
        return launch(options, address, List.of("--config", configFile.toString(), "--root",
                dir.resolve("root").toString(), "--state", dir.resolve("state").toString(), "--address",
                address.toString()));
    }

    private static Containerd launch(Options options, Path address, List<String> args) throws IOException {
        options.release().requireInstalled();
        if (!Files.isExecutable(RUNC)) {
            throw new IllegalStateException(RUNC + " is missing: install runc (scripts/setup.sh)");
        }
        Path dir = options.dir();
        Path log = dir.resolve("containerd.log");
        List<String> command = new ArrayList<>(List.of(options.release().containerd().toString()));
        command.addAll(args);
        command.addAll(List.of("--log-level", "debug"));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        // containerd finds its shim on PATH: this release's, not the system's
        pb.environment().merge("PATH", options.release().binDir().toString(), (old, bin) -> bin + ":" + old);
        Process p = pb.start();
        CompletableFuture<Void> booted = new CompletableFuture<>();
        Threads.start("containerd-log", () -> pumpLog(p, log, booted));
        p.onExit().thenRun(() -> booted.completeExceptionally(
                new IllegalStateException("containerd exited with " + p.exitValue())));
        Containerd c = new Containerd(options, p, address, log);
        try {
            booted.get(START_DEADLINE.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException | InterruptedException e) {
            String why = e instanceof TimeoutException ? "did not boot within " + START_DEADLINE : e.getMessage();
            c.close();
            throw new IOException("containerd " + why + "; log:\n" + c.logText(), e);
        }
        return c;
    }

    private static void pumpLog(Process p, Path log, CompletableFuture<Void> booted) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
             var out = Files.newBufferedWriter(log)) {
            for (String line; (line = r.readLine()) != null; ) {
                out.write(line);
                out.newLine();
                out.flush();
                if (line.contains("containerd successfully booted")) {
                    booted.complete(null);
                }
            }
        } catch (IOException e) {
            booted.completeExceptionally(e);
        }
    }

    public ContainerdRelease release() {
        return options.release();
    }

    /** containerd's gRPC socket. */
    public Path address() {
        return address;
    }

    /** Everything containerd logged so far. */
    public String logText() {
        try {
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs {@code ctr --address <sock> --namespace <namespace> args...} and waits for it (with a deadline). */
    public CommandResult ctr(String namespace, String... args) throws IOException {
        return run(options.release().ctr(), namespace, args);
    }

    /** Runs {@code ctr-remote} like {@link #ctr}, e.g. {@code image rpull --snapshotter jstargz REF}. */
    public CommandResult ctrRemote(String namespace, String... args) throws IOException {
        if (!Files.isExecutable(CTR_REMOTE)) {
            throw new IllegalStateException(CTR_REMOTE + " is missing: install stargz-snapshotter (scripts/setup.sh)");
        }
        return run(CTR_REMOTE, namespace, args);
    }

    private CommandResult run(Path ctr, String namespace, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(ctr.toString(), "--address", address.toString(),
                "--namespace", namespace));
        cmd.addAll(Arrays.asList(args));
        return Command.of(cmd).run(COMMAND_DEADLINE);
    }

    /** Stops containerd, then kills its shims and unmounts whatever is left mounted under its directory. */
    @Override
    public void close() throws IOException {
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Processes.killAll(cmdline -> cmdline.contains(options.release().shim().getFileName().toString())
                && cmdline.contains(address.toString()));
        FileTrees.detachAllUnder(options.dir());
    }
}
