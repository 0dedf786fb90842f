package io.jstargz.e2e;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A container's reads, and what the test sees of them: the container runs {@link #command}, a shell loop that checks
 * the sha256 of every file listed in the image's {@code /check/sha256sums} and appends one line per pass to
 * {@code /out/passes}, a directory of the host bind-mounted into it. The host waits on that directory (inotify), so
 * a test waits for a pass or for the container's end (a file {@link #EXITED} written beside) with a deadline.
 *
 * @param dir   the host directory mounted at {@code /out}
 * @param files how many files the list names: a pass that checked fewer had reads that failed
 */
record ReadLoop(Path dir, int files) {
    /** The list of {@code <sha256>  <path>} lines in the image. */
    static final String SUMS = "/check/sha256sums";
    /** Written in {@link #dir} when the container's task has exited: {@code ctr run}'s exit status. */
    static final String EXITED = "exited";
    private static final Pattern PASS = Pattern.compile("pass (\\d+) ok (\\d+) wrong (\\d+) list (\\d+)");

    /**
     * One pass over the files.
     *
     * @param n          its number, from 1
     * @param ok         files whose bytes had the listed sha256
     * @param wrong      files read in full whose sha256 was another: wrong bytes served
     * @param listFailed the list could not be read: the pass checked no file
     */
    record Pass(int n, int ok, int wrong, boolean listFailed) {
        /** Reads that failed: the list's, or those of the files that were neither right nor wrong. */
        int failed(int files) {
            return listFailed ? 1 : files - ok - wrong;
        }
    }

    /**
     * The container's command: busybox {@code sh}, paced by a tenth of a second between passes so that it leaves
     * the CPU to the daemons (the test drops the page cache to send the next pass's reads to FUSE). The list is
     * read by {@code cat}, a new process: each pass execs busybox while the shell holds it open, as a container's
     * processes do. The reads that failed are appended to {@code /out/failed} with the pass's number, and what
     * {@code cat} said to {@code /out/errors}.
     */
    static List<String> command() {
        return List.of("sh", "-c", "n=0; while :; do n=$((n+1)); ok=0; wrong=0; list=0;"
                + " if { cat " + SUMS + " > /tmp/sums; } 2>> /out/errors; then"
                + " while read sum f; do"
                + " s=$(sha256sum \"$f\" 2>/dev/null) || { echo \"$n $f\" >> /out/failed; continue; };"
                + " if [ \"${s%% *}\" = \"$sum\" ]; then ok=$((ok+1)); else wrong=$((wrong+1)); fi;"
                + " done < /tmp/sums; else list=1; echo \"$n " + SUMS + "\" >> /out/failed; fi;"
                + " echo \"pass $n ok $ok wrong $wrong list $list\" >> /out/passes; usleep 100000; done");
    }

    /** The passes so far, in order. */
    List<Pass> passes() throws IOException {
        Path file = dir.resolve("passes");
        if (!Files.exists(file)) {
            return List.of();
        }
        return Files.readAllLines(file).stream().map(PASS::matcher).filter(Matcher::matches)
                .map(m -> new Pass(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                        Integer.parseInt(m.group(3)), m.group(4).equals("1")))
                .toList();
    }

    /** The number of the last pass so far, 0 before the first. */
    int last() throws IOException {
        List<Pass> p = passes();
        return p.isEmpty() ? 0 : p.get(p.size() - 1).n();
    }

    /** The reads that failed (of the list or of a file), as {@code <pass> <path>}. */
    List<String> failedReads() throws IOException {
        Path file = dir.resolve("failed");
        return Files.exists(file) ? Files.readAllLines(file) : List.of();
    }

    /** The passes numbered {@code from} to {@code to}, both included. */
    List<Pass> between(int from, int to) throws IOException {
        return passes().stream().filter(p -> p.n() >= from && p.n() <= to).toList();
    }

    /** Waits until pass {@code n} is written; fails at the deadline, or if the container exits first. */
    Pass awaitPass(int n, Duration deadline) throws Exception {
        await(deadline, "pass " + n, () -> exited().isPresent() || last() >= n);
        if (exited().isPresent()) {
            Path ctr = dir.resolve("ctr.log");
            throw new AssertionError("the container exited (" + exited().get() + ") before pass " + n
                    + "; its passes: " + passes() + "; ctr run said: " + (Files.exists(ctr) ? Files.readString(ctr)
                    : ""));
        }
        return between(n, n).get(0);
    }

    /** What the test wrote in {@link #EXITED}, once the container's task has exited. */
    Optional<String> exited() throws IOException {
        Path file = dir.resolve(EXITED);
        return Files.exists(file) ? Optional.of(Files.readString(file).strip()) : Optional.empty();
    }

    interface Condition {
        boolean holds() throws IOException;
    }

    /** Waits for {@code done} to hold, checking it on each change in {@link #dir}. */
    void await(Duration deadline, String what, Condition done) throws Exception {
        long end = System.nanoTime() + deadline.toNanos();
        try (WatchService watch = FileSystems.getDefault().newWatchService()) {
            dir.register(watch, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY);
            while (!done.holds()) {
                var key = watch.poll(end - System.nanoTime(), TimeUnit.NANOSECONDS);
                if (key == null) {
                    throw new AssertionError("no " + what + " within " + deadline + "; passes: " + passes());
                }
                key.pollEvents();
                key.reset();
            }
        }
    }
}
