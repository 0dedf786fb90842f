package io.jstargz.snapshotter;

import java.io.IOException;
import java.util.List;

/** Why the daemon refuses to start: one line for each problem found before any work. */
public final class StartupException extends IOException {
    private final List<String> problems;

    StartupException(List<String> problems) {
        super(String.join("\n", problems));
        this.problems = List.copyOf(problems);
    }

    /** Each problem, one line. */
    public List<String> problems() {
        return problems;
    }
}
