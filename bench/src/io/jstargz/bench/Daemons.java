package io.jstargz.bench;

import io.jstargz.process.Command;
import io.jstargz.process.CommandResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Starts the snapshotter daemons the lazy modes measure: jstargz ({@code bin/jstargz serve}) and the reference
 * (bench/refsnapshotter, the Go stargz-snapshotter 0.12 library), each with its root, socket and log in a directory
 * of its own, configured as it ships (defaults) apart from paths and the registry hosts.
 */
final class Daemons {
    private static final Duration READY_DEADLINE = Duration.ofSeconds(120);

    private final Path repo;
    private final Path refSnapshotter;

    Daemons(Path repo, Path refSnapshotter) {
        this.repo = repo;
        this.refSnapshotter = refSnapshotter;
    }

    /**
     * A started daemon.
     *
     * @param probe what jstargz reports about itself (its metrics and status); null for the reference
     */
    record Running(Service service, Path socket, JstargzProbe probe) {
    }

    Running start(Mode.Snapshotter kind, Path dir, Path hostsDir) throws IOException {
        Files.createDirectories(dir);
        Path socket = dir.resolve(kind.name + ".sock");
        return switch (kind) {
            case JSTARGZ -> startJstargz(dir, socket, hostsDir);
            case STARGZ -> new Running(startReference(dir, socket), socket, null);
            case OVERLAYFS -> throw new IllegalArgumentException("overlayfs is built into containerd");
        };
    }

    private Running startJstargz(Path dir, Path socket, Path hostsDir) throws IOException {
        Path config = dir.resolve("config.toml");
        int metricsPort = Registry.freePort();
        Files.writeString(config, String.join("\n",
                "root = \"" + dir.resolve("root") + "\"",
                "address = \"" + socket + "\"",
                "log_level = \"" + System.getProperty("bench.jstargz.log", "info") + "\"",
                "metrics_address = \"127.0.0.1:" + metricsPort + "\"",
                "[registry]",
                "hosts_dir = \"" + hostsDir + "\"",
                ""));
        JstargzProbe probe = new JstargzProbe(repo, socket, metricsPort);
        // the daemon serves before it warms up (a restart is ready at once); a node's daemon is up long before a pull,
        // so the run waits for the warm-up's end, as it waited for "ready" when the warm-up came first
        Service s = Service.start("jstargz", List.of(repo.resolve("bin/jstargz").toString(), "serve", "--config",
                        config.toString()), Map.of(), dir.resolve("jstargz.log"),
                l -> l.contains("warm-up finished"), probe::onLogLine, READY_DEADLINE);
        return new Running(s, socket, probe);
    }

    private Service startReference(Path dir, Path socket) throws IOException {
        return Service.start("reference snapshotter", List.of(refSnapshotter.toString(),
                        "-address", socket.toString(),
                        "-root", dir.resolve("root").toString()), Map.of(), dir.resolve("stargz.log"),
                l -> l.contains("reference stargz snapshotter serving on"), null, READY_DEADLINE);
    }

    /** Whether this build of jstargz has the daemon ({@code jstargz serve}). */
    boolean jstargzServes() throws IOException {
        return hasCommand(repo, "serve");
    }

    /** Whether {@code bin/jstargz} has the (sub)command: its help names it in its usage line. */
    static boolean hasCommand(Path repo, String... command) throws IOException {
        List<String> cmd = new java.util.ArrayList<>(List.of(repo.resolve("bin/jstargz").toString()));
        cmd.addAll(List.of(command));
        cmd.add("--help");
        CommandResult r = Command.of(cmd).run(Duration.ofMinutes(1));
        return r.ok() && r.output().contains("Usage: jstargz " + String.join(" ", command));
    }
}
