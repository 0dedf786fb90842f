package io.jstargz.estargz;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The reference Go library, driven through {@code testdata/refcheck/main.go}: built once per test run into
 * {@code target/}. Go and the Debian package of stargz-snapshotter must be installed; if they are not, the tests
 * that use this fail (they do not skip).
 */
final class RefCheck {
    private static Path binary;

    private RefCheck() {
    }

    /** Output of a refcheck run. */
    record Result(int exit, String stdout, String stderr) {
        List<String> lines() {
            return stdout.lines().toList();
        }
    }

    static synchronized Path binary() throws IOException, InterruptedException {
        if (binary == null) {
            Path target = Path.of("target").toAbsolutePath();
            Path out = target.resolve("refcheck");
            Path src = TestData.repo().resolve("testdata/refcheck/main.go");
            Result r = run(List.of("go", "build", "-o", out.toString(), src.toString()), List.of(
                    "GO111MODULE=off", "GOPATH=/usr/share/gocode", "GOCACHE=" + target.resolve("gocache"),
                    "GOFLAGS=-mod=mod"), src.getParent(), 300);
            if (r.exit() != 0 || !Files.isExecutable(out)) {
                throw new IllegalStateException("cannot build the reference checker (needs golang-go and "
                        + "golang-github-containerd-stargz-snapshotter-dev): " + r.stderr());
            }
            binary = out;
        }
        return binary;
    }

    /** Runs refcheck with GOMAXPROCS=1, so that the reference builder writes one part as our writer does. */
    static Result refcheck(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(binary().toString());
        cmd.addAll(List.of(args));
        return run(cmd, List.of("GOMAXPROCS=1"), null, 120);
    }

    static Result run(List<String> cmd, List<String> env, Path dir, int timeoutSeconds)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        if (dir != null) {
            pb.directory(dir.toFile());
        }
        for (String kv : env) {
            int eq = kv.indexOf('=');
            pb.environment().put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        Path out = Files.createTempFile("refcheck", ".out");
        Path err = Files.createTempFile("refcheck", ".err");
        try {
            pb.redirectOutput(out.toFile()).redirectError(err.toFile());
            Process p = pb.start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(cmd + " did not finish in " + timeoutSeconds + " s");
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
