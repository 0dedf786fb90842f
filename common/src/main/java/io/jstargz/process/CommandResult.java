package io.jstargz.process;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

/**
 * How a command ended.
 *
 * @param command  the command line
 * @param exitCode its exit code
 * @param output   what it wrote, stdout and stderr interleaved
 * @param elapsed  from its start to its exit
 */
public record CommandResult(List<String> command, int exitCode, String output, Duration elapsed) {
    private static final int LINES_SHOWN = 30;

    public boolean ok() {
        return exitCode == 0;
    }

    /**
     * The output of a command that succeeded.
     *
     * @throws IOException naming the command, its exit code and the last lines of its output, when it failed
     */
    public String orThrow() throws IOException {
        if (exitCode != 0) {
            throw new IOException(String.join(" ", command) + " exited " + exitCode + ":\n" + tail());
        }
        return output;
    }

    /** The last lines of the output. */
    public String tail() {
        List<String> lines = output.strip().lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - LINES_SHOWN), lines.size()));
    }
}
