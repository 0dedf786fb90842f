package io.jstargz.snapshotter;

import io.jstargz.process.Command;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/** mount(8) for tests: bind mounts standing in for layer mounts. */
final class TestMounts {
    private TestMounts() {
    }

    static void bind(Path source, Path target) throws IOException, InterruptedException {
        run("mount", "--bind", source.toString(), target.toString());
    }

    static void run(String... command) throws IOException {
        Command.of(command).run(Duration.ofSeconds(30)).orThrow();
    }
}
