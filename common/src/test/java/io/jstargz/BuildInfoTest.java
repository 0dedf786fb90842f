package io.jstargz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jstargz.process.Command;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class BuildInfoTest {
    @Test
    void theVersionAndCommitAreThoseOfTheCheckout() throws Exception {
        BuildInfo b = BuildInfo.current();
        assertTrue(b.version().matches("\\d+\\.\\d+\\.\\d+(-SNAPSHOT)?"), b.version());
        String head = Command.of("git", "-C", System.getProperty("jstargz.repo"), "rev-parse", "--short=12", "HEAD")
                .run(Duration.ofSeconds(30)).orThrow().strip();
        assertEquals(head, b.commit());
        assertEquals(b.version() + " (commit " + head + ")", b.toString());
    }
}
