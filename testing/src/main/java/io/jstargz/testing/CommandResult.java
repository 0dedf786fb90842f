package io.jstargz.testing;

import java.util.List;

/** How a command ended: exit code and its output (stdout and stderr interleaved). */
public record CommandResult(List<String> command, int exitCode, String output) {
    public boolean ok() {
        return exitCode == 0;
    }

    /** The output; throws with the command and its output when it failed. */
    public String orThrow() {
        if (exitCode != 0) {
            throw new IllegalStateException(String.join(" ", command) + " exited " + exitCode + ":\n" + output);
        }
        return output;
    }
}
