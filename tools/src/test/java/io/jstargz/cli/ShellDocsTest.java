package io.jstargz.cli;

import static io.jstargz.cli.BlobCommandsTest.jstargz;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jstargz.process.Command;
import io.jstargz.process.CommandResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The completion script works in a real bash; the man pages are ones man(1) renders without a warning. */
class ShellDocsTest {
    @TempDir
    Path tmp;

    /** What bash completes after {@code words} (the last one being the word under the cursor). */
    private String complete(Path script, String... words) throws Exception {
        String line = String.join(" ", words);
        CommandResult r = Command.of("bash", "-c", "source " + script + "; COMP_WORDS=(" + line + "); COMP_CWORD="
                + (words.length - 1) + "; COMP_LINE='" + line + "'; COMP_POINT=${#COMP_LINE}; _complete_jstargz; "
                + "printf '%s\\n' \"${COMPREPLY[@]}\"").run(Duration.ofSeconds(30));
        return r.orThrow();
    }

    @Test
    void bashCompletesSubcommandsAndOptions() throws Exception {
        Path script = tmp.resolve("completion/jstargz");
        BlobCommandsTest.Run r = jstargz("shell-docs", "--completion", script.toString());
        assertEquals(0, r.exit(), r.err());
        assertEquals(List.of("image"), complete(script, "jstargz", "im").lines().toList());
        List<String> convert = complete(script, "jstargz", "image", "convert", "--zstd").lines().toList();
        assertTrue(convert.contains("--zstdchunked"), convert::toString);
        assertTrue(complete(script, "jstargz", "").lines().noneMatch(w -> w.equals("shell-docs")),
                "hidden commands are not offered");
    }

    @Test
    void everyCommandHasAManPageThatRendersCleanly() throws Exception {
        Path dir = tmp.resolve("man1");
        BlobCommandsTest.Run r = jstargz("shell-docs", "--man", dir.toString());
        assertEquals(0, r.exit(), r.err());
        List<String> pages;
        try (Stream<Path> s = Files.list(dir)) {
            pages = s.map(p -> p.getFileName().toString()).sorted().toList();
        }
        assertTrue(pages.containsAll(List.of("jstargz.1", "jstargz-image.1", "jstargz-image-convert.1",
                "jstargz-image-optimize.1", "jstargz-image-toc-digest.1", "jstargz-pull.1", "jstargz-serve.1",
                "jstargz-status.1", "jstargz-blob-inspect.1")),
                pages::toString);
        assertTrue(pages.stream().noneMatch(p -> p.contains("shell-docs")), pages::toString);
        for (String page : pages) {
            CommandResult rendered = Command.of("groff", "-man", "-Tutf8", "-ww", "-z", dir.resolve(page).toString())
                    .run(Duration.ofSeconds(30));
            assertEquals("", rendered.orThrow(), page + ": groff warns");
        }
        String convert = Command.of("man", "-l", "-P", "cat", dir.resolve("jstargz-image-convert.1").toString())
                .withEnv(Map.of("MANWIDTH", "100")).run(Duration.ofSeconds(30)).orThrow();
        assertTrue(convert.matches("(?s).*NAME\\s+jstargz-image-convert +- Convert every layer.*--zstdchunked.*"),
                convert);
        assertTrue(convert.contains("SEE ALSO") && convert.contains("jstargz-image(1)"), convert);
    }
}
