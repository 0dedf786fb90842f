package io.jstargz.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CommandTest {
    private static final Duration DEADLINE = Duration.ofSeconds(30);

    @TempDir
    Path tmp;

    @Test
    void collectsOutputAndErrorsReadsInputAndRunsWhereAsked() throws IOException {
        CommandResult r = Command.of("sh", "-c", "read line; echo \"got $line in $(pwd) as $WHO\"; echo oops >&2")
                .withEnv(Map.of("WHO", "tester")).in(tmp).withInput("hello\n").run(DEADLINE);
        assertTrue(r.ok());
        assertEquals("got hello in " + tmp.toRealPath() + " as tester\noops\n", r.orThrow());
    }

    @Test
    void aFailureNamesTheCommandItsExitCodeAndItsLastLines() throws IOException {
        CommandResult r = Command.of("sh", "-c", "seq 1 100; exit 3").run(DEADLINE);
        assertFalse(r.ok());
        IOException e = assertThrows(IOException.class, r::orThrow);
        assertTrue(e.getMessage().startsWith("sh -c seq 1 100; exit 3 exited 3:\n71\n"), e.getMessage());
        assertTrue(e.getMessage().endsWith("\n100"), e.getMessage());
    }

    @Test
    void theDeadlineKillsTheCommandAndWhatItStarted() throws Exception {
        Path pid = tmp.resolve("child.pid");
        IOException e = assertThrows(IOException.class, () -> Command.of("sh", "-c",
                "sleep 600 & echo $! > " + pid + "; wait").run(Duration.ofSeconds(2)));
        assertTrue(e.getMessage().contains("did not finish within 2 s"), e.getMessage());
        long child = Long.parseLong(Files.readString(pid).trim());
        ProcessHandle.of(child).ifPresent(h -> h.onExit().join());
        assertFalse(ProcessHandle.of(child).map(ProcessHandle::isAlive).orElse(false), "the child was killed");
    }
}
