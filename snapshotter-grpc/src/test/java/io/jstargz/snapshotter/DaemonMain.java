package io.jstargz.snapshotter;

import io.jstargz.snapshotter.config.ConfigLoader;
import java.nio.file.Path;

/**
 * What {@code jstargz serve --config FILE [--takeover]} does, for running the daemon as its own process in tests: it
 * exits once the daemon has stopped, or handed over.
 */
public final class DaemonMain {
    private DaemonMain() {
    }

    public static void main(String[] args) throws Exception {
        Daemon.run(ConfigLoader.load(Path.of(args[0])), args[0], args.length > 1 && args[1].equals("--takeover"));
        System.exit(0);
    }
}
