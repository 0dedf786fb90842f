package io.jstargz.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jstargz.concurrent.Threads;
import io.jstargz.process.Command;
import io.jstargz.testing.Containerd;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * {@code bin/jstargz serve} as its own process, the way a node runs it: its log is kept (and can be waited on line
 * by line), it can be stopped with SIGTERM or killed with SIGKILL, and {@code jstargz status} asks it what it holds.
 * Or the daemon under systemd's file descriptor store, played by {@code fdstore.py} (see {@link #underFdStore}): then
 * the process is fdstore.py, whose output holds its events ({@code fdstore: ...}) and the daemons' logs, and it takes
 * systemd's commands ({@link #fdStore}).
 */
final class DaemonProcess implements AutoCloseable {
    static final Path REPO = Paths.get(System.getProperty("jstargz.repo", "..")).toAbsolutePath();
    static final Path CLI = REPO.resolve("bin/jstargz");
    /** The FUSE binding the daemon is configured with: the build runs the end-to-end tests on each. */
    static final String FUSE_BINDING = System.getProperty("jstargz.fuse.binding", "auto");
    /** systemd's side of the fd store, for tests (it documents its protocol and commands). */
    static final Path FDSTORE = REPO.resolve("snapshotter-grpc/src/test/resources/fdstore.py");
    private static final Duration START_DEADLINE = Duration.ofSeconds(60);
    /** The debug line of each connection on the daemon's socket. */
    private static final String CONNECTED = "client connected on ";
    private static final ObjectMapper JSON = new ObjectMapper();

    private record Waiter(Predicate<String> match, CompletableFuture<String> found) {
    }

    private final Process process;
    private final Path socket;
    private final boolean fdStore;
    private final List<String> lines = new ArrayList<>();
    private final List<Waiter> waiters = new ArrayList<>();

    private DaemonProcess(Process process, Path socket, Path log, boolean fdStore) {
        this.process = process;
        this.socket = socket;
        this.fdStore = fdStore;
        Threads.start("jstargz-serve-log", () -> pump(log));
    }

    /** The {@code [fuse]} table of a test's config: the binding this run tests. */
    static String fuseConfig() {
        return "[fuse]\nbinding = \"" + FUSE_BINDING + "\"\n";
    }

    /**
     * The binding the daemon must say it uses: {@link #FUSE_BINDING}, where auto means the kernel binding (the
     * launcher runs the newest JDK, 22 or later on every machine that builds jstargz, and tests run as root).
     */
    static String expectedFuseBinding() {
        return FUSE_BINDING.equals("auto") ? "kernel" : FUSE_BINDING;
    }

    /**
     * Writes {@code dir/name.toml}: a daemon rooted at {@code dir/name}, serving on {@code dir/name.sock}, without a
     * warm-up or registry hosts, and {@code tables} (TOML tables such as {@code [cache]} and their keys) before its
     * {@code [registry]}.
     */
    static Path quietConfig(Path dir, String name, String... tables) throws IOException {
        List<String> lines = new ArrayList<>(List.of(
                "root = \"" + dir.resolve(name) + "\"",
                "address = \"" + dir.resolve(name + ".sock") + "\"",
                "warm_up = false"));
        lines.addAll(List.of(tables));
        lines.addAll(List.of("[registry]", "hosts_dir = \"" + dir.resolve("no-hosts") + "\"", ""));
        return Files.writeString(dir.resolve(name + ".toml"), String.join("\n", lines));
    }

    /** Starts {@code jstargz serve --config config} and waits until it serves on {@code socket}. */
    static DaemonProcess start(Path config, Path socket, Path log) throws Exception {
        return start(config, socket, log, Map.of());
    }

    /**
     * As {@link #start(Path, Path, Path)}, with {@code env} added to the launcher's environment. No AOT training starts
     * beside a test's daemon: the jar a test runs was just built, and the tests that train do so themselves.
     */
    static DaemonProcess start(Path config, Path socket, Path log, Map<String, String> env) throws Exception {
        return start(List.of(CLI.toString(), "serve", "--config", config.toString()), socket, log, env);
    }

    /**
     * Starts the daemon with {@code command} (e.g. {@code ctr run} of its image, which passes signals on) and waits
     * until it serves on {@code socket}.
     */
    static DaemonProcess start(List<String> command, Path socket, Path log) throws Exception {
        return start(command, socket, log, Map.of());
    }

    /**
     * Starts {@code jstargz serve --config config} under {@link #FDSTORE} listening on {@code notifySocket}, as
     * {@code dist/jstargz.service} runs it, and waits until it serves on {@code socket}. {@link #fdStore} sends
     * systemd's commands: {@code kill} (SIGKILL, then a restart with the kept descriptors), {@code reload}
     * ({@code jstargz serve --config config --takeover} beside the running daemon).
     */
    static DaemonProcess underFdStore(Path config, Path socket, Path log, Path notifySocket) throws Exception {
        return start(List.of("python3", FDSTORE.toString(), notifySocket.toString(), CLI.toString(), "serve",
                "--config", config.toString()), socket, log, Map.of(), true);
    }

    private static DaemonProcess start(List<String> command, Path socket, Path log, Map<String, String> env)
            throws Exception {
        return start(command, socket, log, env, false);
    }

    private static DaemonProcess start(List<String> command, Path socket, Path log, Map<String, String> env,
                                       boolean fdStore) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("JSTARGZ_NO_TRAINING", "1");
        pb.environment().putAll(env);
        Process p = pb.start();
        if (!fdStore) {
            p.getOutputStream().close(); // the daemon reads nothing; fdstore.py reads its commands there
        }
        DaemonProcess d = new DaemonProcess(p, socket, log, fdStore);
        try {
            d.awaitLog(START_DEADLINE, "jstargz snapshotter ready");
        } catch (Exception e) {
            d.kill();
            throw new IOException("jstargz serve did not start; its log:\n" + Files.readString(log), e);
        }
        return d;
    }

    private void pump(Path log) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8)); BufferedWriter out = Files.newBufferedWriter(log,
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND)) {
            for (String line; (line = r.readLine()) != null; ) {
                out.write(line);
                out.newLine();
                out.flush();
                System.out.println("jstargz serve: " + line); // kept in the test's report
                synchronized (this) {
                    lines.add(line);
                    String l = line;
                    waiters.removeIf(w -> w.match().test(l) && w.found().complete(l));
                }
            }
        } catch (IOException e) {
            // the process is gone; waiters fail at their deadline
        }
        synchronized (this) {
            waiters.forEach(w -> w.found().completeExceptionally(new IOException("jstargz serve exited")));
            waiters.clear();
        }
    }

    /** The first line of this process's log containing every one of {@code parts}, waiting for it if needed. */
    String awaitLog(Duration deadline, String... parts) throws Exception {
        return awaitNthLog(deadline, 1, parts);
    }

    /** The {@code n}-th line (from 1) containing every one of {@code parts}, waiting for it if needed. */
    String awaitNthLog(Duration deadline, int n, String... parts) throws Exception {
        Predicate<String> contains = l -> List.of(parts).stream().allMatch(l::contains);
        int[] seen = {0};
        Predicate<String> match = l -> contains.test(l) && ++seen[0] == n;
        CompletableFuture<String> found = new CompletableFuture<>();
        synchronized (this) {
            lines.stream().filter(match).findFirst()
                    .ifPresentOrElse(found::complete, () -> waiters.add(new Waiter(match, found)));
            if (!process.isAlive() && !found.isDone()) {
                found.completeExceptionally(new IOException("jstargz serve exited with " + process.exitValue()));
            }
        }
        return found.get(deadline.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The daemon's JVM (the launcher replaces itself with it). */
    long pid() {
        return process.pid();
    }

    /** Every log line so far containing {@code part}. */
    synchronized List<String> logLines(String part) {
        return lines.stream().filter(l -> l.contains(part)).toList();
    }

    /** {@code jstargz status --json} whole: the binding, what survives a crash and an upgrade, memory, snapshots. */
    JsonNode statusJson() throws IOException {
        return JSON.readTree(Command.of(CLI.toString(), "status", "--json", "--address", socket.toString())
                .run(Duration.ofSeconds(60)).orThrow());
    }

    /** {@code jstargz status --json}: the snapshots by name. */
    Map<String, JsonNode> status() throws IOException {
        Map<String, JsonNode> byName = new HashMap<>();
        for (JsonNode s : statusJson().get("snapshots")) {
            byName.put(s.get("name").asText(), s);
        }
        return byName;
    }

    /** The remote-layer records of {@code image}'s layers in {@code jstargz status --json}, lowest layer first. */
    List<JsonNode> remoteLayers(TestImage image) throws IOException {
        Map<String, JsonNode> status = status();
        List<JsonNode> out = new ArrayList<>();
        for (String digest : image.layerDigests()) {
            out.add(status.values().stream().map(s -> s.path("remote"))
                    .filter(r -> r.path("layerDigest").asText().equals(digest)).findFirst()
                    .orElseThrow(() -> new AssertionError("no remote record of " + digest + " in " + status)));
        }
        return out;
    }

    /** {@code jstargz status} as people read it. */
    String statusTable() throws IOException {
        return Command.of(CLI.toString(), "status", "--address", socket.toString()).run(Duration.ofSeconds(60))
                .orThrow();
    }

    /**
     * Waits until containerd is connected to this daemon, when containerd ran before it (a restarted daemon, or one
     * containerd runs). Calls containerd made while nothing served the socket leave its client failing calls as
     * unavailable until it dials again after a backoff of up to 3 s; containerd 1.6 dials on its own, 2.x's idle
     * client only on its next call. So: one call that reaches the snapshotter (a Prepare and Remove of a snapshot of
     * its own; listing is answered from containerd's metadata), which may fail, then the connection's log line,
     * logged at debug level. (The daemon connects to itself once to warm up, once it is ready: of the first two
     * connections on its socket, in either order, one is containerd's.)
     */
    void awaitContainerdConnected(Containerd containerd, String namespace) throws Exception {
        awaitContainerdConnected(containerd, namespace, 2);
    }

    /**
     * As {@link #awaitContainerdConnected(Containerd, String)}, for a log that spans restarts (under fdstore.py):
     * waits for the {@code n}-th connection on the socket, which the caller counted ({@link #connections}) before the
     * daemon went away.
     */
    void awaitContainerdConnected(Containerd containerd, String namespace, int n) throws Exception {
        String probe = "jstargz-e2e-probe-" + process.pid();
        containerd.ctr(namespace, "snapshot", "--snapshotter", Containerd.SNAPSHOTTER, "prepare", probe);
        containerd.ctr(namespace, "snapshot", "--snapshotter", Containerd.SNAPSHOTTER, "rm", probe);
        awaitNthLog(START_DEADLINE, n, CONNECTED + socket);
    }

    /** How many connections on the socket the log has shown so far. */
    synchronized int connections() {
        return (int) lines.stream().filter(l -> l.contains(CONNECTED + socket)).count();
    }

    /** Waits at most {@code deadline} for the daemon to exit by itself (after a handover); its exit code. */
    int awaitExit(Duration deadline) throws Exception {
        if (!process.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IOException("jstargz serve (pid " + process.pid() + ") did not exit within " + deadline);
        }
        return process.exitValue();
    }

    /** One of fdstore.py's commands ({@link #underFdStore}); returns without waiting for its effect. */
    void fdStore(String command) throws IOException {
        if (!fdStore) {
            throw new IllegalStateException("the daemon does not run under fdstore.py");
        }
        process.getOutputStream().write((command + "\n").getBytes(StandardCharsets.UTF_8));
        process.getOutputStream().flush();
    }

    /** SIGTERM (under fdstore.py: its stop command), and waits for the daemon to unmount its layers and exit. */
    void stop() throws Exception {
        if (fdStore) {
            fdStore("stop");
        } else {
            process.destroy();
        }
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            throw new IOException("jstargz serve did not stop within 60 s of SIGTERM");
        }
    }

    /**
     * SIGKILL: no shutdown hook runs. Waits for the process and its mount watchdog to be gone. Under fdstore.py, the
     * daemons it runs are killed first (fdstore.py would restart them), then fdstore.py, whose store then ends.
     */
    void kill() throws Exception {
        List<ProcessHandle> descendants = process.toHandle().descendants().toList();
        if (fdStore) {
            process.toHandle().children().forEach(ProcessHandle::destroyForcibly);
        }
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
        for (ProcessHandle d : descendants) {
            d.onExit().get(30, TimeUnit.SECONDS);
        }
    }

    @Override
    public void close() throws Exception {
        if (process.isAlive()) {
            stop();
        }
    }
}
