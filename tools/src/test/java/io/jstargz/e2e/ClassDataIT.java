package io.jstargz.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jstargz.process.Command;
import io.jstargz.process.CommandResult;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon's class data, as {@code bin/jstargz} manages it beside the jar: on JDK 25+ an AOT cache recorded by
 * {@code jstargz serve --train} (the daemon started in a root of its own, a lazy pull through FUSE over its socket),
 * used by {@code jstargz serve} only while the jar and the JDK are the ones it was recorded for; on older JDKs the
 * dynamic CDS archive. Runs on a copy of the jar, whose time the test changes as a rebuild would.
 */
class ClassDataIT {
    private static final Duration TRAINING_DEADLINE = Duration.ofMinutes(10);

    @TempDir
    Path tmp;

    @Test
    void theCacheIsUsedWhileItFitsTheJarAndTheJdkAndNeverWhenStale() throws Exception {
        Path lib = Files.createDirectories(tmp.resolve("lib"));
        Path jar = lib.resolve("jstargz.jar");
        Files.copy(DaemonProcess.REPO.resolve("tools/target/jstargz.jar"), jar, StandardCopyOption.COPY_ATTRIBUTES);
        Map<String, String> env = Map.of("JSTARGZ_JAR", jar.toString());
        Path config = DaemonProcess.quietConfig(tmp, "jstargz");
        List<String> train = List.of(DaemonProcess.CLI.toString(), "serve", "--train", "--config", config.toString());
        CommandResult trained = Command.of(train).withEnv(env).run(TRAINING_DEADLINE);
        assertEquals(0, trained.exitCode(), trained.output());
        Path aot = lib.resolve("jstargz-serve.aot");
        Path stamp = lib.resolve("jstargz-serve.aot.stamp");
        if (LauncherJvm.major() < 25) {
            // JDK 17-24: no AOT cache; the daemon runs with the dynamic CDS archive beside the jar
            assertFalse(Files.exists(aot), trained.output());
            assertEquals(lib.resolve("jstargz-serve.jsa").toString(), sharedArchiveOf(config, env));
            return;
        }
        assertTrue(trained.output().contains("jstargz: AOT cache " + aot + " recorded"), trained.output());
        assertTrue(trained.output().contains("training run done"), "the training pulled its layer lazily:\n"
                + trained.output());
        assertTrue(Files.size(aot) > 0 && Files.exists(stamp));
        assertTrue(Command.of(train).withEnv(env).run(TRAINING_DEADLINE).orThrow().contains("is up to date"),
                "a fresh cache is not recorded again");
        assertTrue(usesCache(config, env, aot), "jstargz serve maps the fresh cache");

        // another JDK than the cache was recorded with: its stamp no longer matches
        String recorded = Files.readString(stamp);
        Files.writeString(stamp, recorded.replaceAll("(?m)^jdk .*$", "jdk /usr/lib/jvm/another 25.0.0+1 1 1"));
        assertFalse(usesCache(config, env, aot), "a cache recorded with another JDK is not used");
        Files.writeString(stamp, recorded);
        assertTrue(usesCache(config, env, aot));

        // a cache the JVM cannot map though its stamp fits (its bytes damaged here): the daemon starts without it, and
        // what the JVM says about the cache does not end up among the JVM options the launcher computes and keeps
        Path intact = lib.resolve("intact.aot");
        Files.move(aot, intact);
        Files.write(aot, new byte[4096]);
        try (DirectoryStream<Path> kept = Files.newDirectoryStream(lib, "jstargz-serve.jvm-options.*")) {
            for (Path options : kept) {
                Files.delete(options);
            }
        }
        try (DaemonProcess d = DaemonProcess.start(config, tmp.resolve("jstargz.sock"), tmp.resolve("serve.log"), env)) {
            assertFalse(LauncherJvm.maps(d.pid(), aot), "a damaged cache is not mapped");
        }
        Files.move(intact, aot, StandardCopyOption.REPLACE_EXISTING);

        // the jar rebuilt: the launcher does not pass the cache, and the JVM refuses it on its own
        Files.setLastModifiedTime(jar, FileTime.fromMillis(Files.getLastModifiedTime(jar).toMillis() + 60_000));
        assertFalse(usesCache(config, env, aot), "a cache recorded for an older jar is not used");
        CommandResult direct = Command.of(LauncherJvm.java().toString(), "--enable-native-access=ALL-UNNAMED",
                "-XX:AOTCache=" + aot, "-jar", jar.toString(), "--version").run(Duration.ofSeconds(60));
        assertEquals(0, direct.exitCode(), direct.output());
        assertTrue(direct.output().contains("timestamp has changed"), direct.output());
    }

    /** Starts the daemon and says whether its JVM runs with {@code aot} mapped (and stops it). */
    private boolean usesCache(Path config, Map<String, String> env, Path aot) throws Exception {
        try (DaemonProcess d = DaemonProcess.start(config, tmp.resolve("jstargz.sock"), tmp.resolve("serve.log"), env)) {
            boolean flag = LauncherJvm.flag(d.pid(), "AOTCache").equals(aot.toString());
            assertEquals(flag, LauncherJvm.maps(d.pid(), aot), "the AOTCache flag and the mapping agree");
            return flag;
        }
    }

    private String sharedArchiveOf(Path config, Map<String, String> env) throws Exception {
        try (DaemonProcess d = DaemonProcess.start(config, tmp.resolve("jstargz.sock"), tmp.resolve("serve.log"), env)) {
            return LauncherJvm.flag(d.pid(), "SharedArchiveFile");
        }
    }
}
