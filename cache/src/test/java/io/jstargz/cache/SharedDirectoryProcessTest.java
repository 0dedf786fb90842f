package io.jstargz.cache;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Two processes churning one cache directory: every byte returned is right in both, neither fails. */
class SharedDirectoryProcessTest {

    private static final int OPS = 2_000;

    @TempDir
    Path dir;

    @Test
    void twoProcessesShareOneDirectory() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process other = new ProcessBuilder(java.toString(), "-Djstargz.log.level=WARN", "-cp", System.getProperty("java.class.path"),
                SharedDirectoryChurn.class.getName(), dir.toString(), "2", Integer.toString(OPS))
                .redirectErrorStream(true).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(other.getInputStream(),
                StandardCharsets.UTF_8))) {
            StringBuilder transcript = new StringBuilder();
            String line;
            while ((line = out.readLine()) != null && !line.equals("ready")) {
                transcript.append(line).append('\n');
            }
            assertEquals("ready", line, "the other process did not start:\n" + transcript);

            CacheStats mine = SharedDirectoryChurn.churn(dir, 1, OPS);

            while ((line = out.readLine()) != null) {
                transcript.append(line).append('\n');
            }
            assertTrue(other.waitFor(60, TimeUnit.SECONDS), "the other process did not finish");
            assertEquals(0, other.exitValue(), "the other process failed:\n" + transcript);
            assertTrue(mine.diskHits() > 0 && mine.evictions() > 0, mine.toString());
            assertEquals(0, mine.corruptEntries(), mine.toString());
            assertTrue(transcript.toString().contains("CacheStats["), transcript.toString());
            System.out.println("this process: " + mine + "\nthe other: " + transcript);
        } finally {
            other.destroyForcibly();
        }
    }
}
