package io.jstargz.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jstargz.process.Command;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Runs the packaged CLI through {@code bin/jstargz} (after {@code mvn package}): the reference vectors verify, and
 * the listing equals the reference reader's line for line.
 */
class CliIT {
    private static final Path REPO = Paths.get(System.getProperty("jstargz.repo", "..")).toAbsolutePath();

    @ParameterizedTest
    @ValueSource(strings = {"small1-default.esgz", "small1-chunk64k-prio.esgz", "small1-default-legacyfooter.stargz"})
    void verifyJsonlEqualsTheReferenceListing(String blob) throws Exception {
        Path vectors = REPO.resolve("testdata/estargz");
        String expectations = blob.replace("-legacyfooter", "").replaceAll("\\.(esgz|stargz)$", ".json");
        String tocDigest = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(vectors.resolve(expectations).toFile()).get("tocDigest").asText();
        Path out = Files.createTempFile("jstargz-cli", ".jsonl");
        Path err = Files.createTempFile("jstargz-cli", ".err");
        try {
            Process p = new ProcessBuilder(REPO.resolve("bin/jstargz").toString(), "blob", "verify", "--jsonl",
                    "--toc-digest", tocDigest, vectors.resolve(blob).toString())
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "bin/jstargz finishes");
            assertEquals(0, p.exitValue(), Files.readString(err));
            List<String> expected = Files.readAllLines(vectors.resolve(blob.replaceAll("\\.(esgz|stargz)$",
                    ".entries.jsonl")), StandardCharsets.UTF_8);
            assertEquals(expected, Files.readAllLines(out, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    @Test
    void makeInstallGivesAWorkingLauncherUnitAndConfig(@TempDir Path destdir) throws Exception {
        Command.of("make", "-C", REPO.toString(), "install", "DESTDIR=" + destdir.resolve("root"),
                "PREFIX=/opt/jstargz").run(Duration.ofSeconds(60)).orThrow();
        Path root = destdir.resolve("root");
        assertTrue(Files.isRegularFile(root.resolve("opt/jstargz/lib/jstargz/jstargz.jar")));
        List<String> unit = Files.readAllLines(root.resolve("etc/systemd/system/jstargz.service"));
        assertTrue(unit.contains("ExecStart=/opt/jstargz/bin/jstargz serve"), unit.toString());
        assertTrue(unit.contains("ExecReload=/bin/sh -c '/opt/jstargz/bin/jstargz serve --takeover &'"),
                unit.toString());
        assertEquals(Files.readString(REPO.resolve("dist/config.toml")),
                Files.readString(root.resolve("etc/jstargz/config.toml")));

        // the installed launcher runs the installed jar, not the source tree's
        Path vector = REPO.resolve("testdata/estargz/small1-default.esgz");
        String inspected = Command.of(root.resolve("opt/jstargz/bin/jstargz").toString(), "blob", "inspect",
                vector.toString()).run(Duration.ofSeconds(60)).orThrow();
        String tocDigest = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(REPO.resolve("testdata/estargz/small1-default.json").toFile()).get("tocDigest").asText();
        assertTrue(inspected.contains(tocDigest), inspected);
    }
}
