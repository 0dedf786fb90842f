package io.jstargz.bench;

import java.util.List;

/**
 * The images the benchmark runs, each with its workload and the output that proves the workload ran. Most are
 * pulled on a cold node; {@code python+app} measures the {@code app} image on a node that has just run
 * {@code python}: its python3 layer is a different blob, but most of its files are the same, and a
 * content-addressed chunk cache fetches none of those again.
 */
enum BenchImage {
    BUSYBOX("busybox", List.of("echo", "hi"), "hi", null, null),
    PYTHON("python", List.of("python3", "-c", "import json, sqlite3; print(1)"), "1", null, null),
    JDK("jdk", List.of("java", "/app/Hello.java"), "hello from java", null, null),
    APP("app", List.of("python3", "-c", "import json, sqlite3, yaml; print(1)"), "1", null, null),
    PYTHON_THEN_APP("python+app", APP.workload, APP.expectedOutput, APP, PYTHON);

    /** Its name in {@code --images} and in the results. */
    final String id;
    final List<String> workload;
    final String expectedOutput;
    private final BenchImage measured;
    /** The image pulled and run (and settled) before the measured one, or null. */
    final BenchImage before;

    BenchImage(String id, List<String> workload, String expectedOutput, BenchImage measured, BenchImage before) {
        this.id = id;
        this.workload = workload;
        this.expectedOutput = expectedOutput;
        this.measured = measured;
        this.before = before;
    }

    /** The image that is pulled and run and whose figures are reported: itself, or another on a warm node. */
    BenchImage measured() {
        return measured == null ? this : measured;
    }

    /** Every image this one pulls, in order. */
    List<BenchImage> pulled() {
        return before == null ? List.of(measured()) : List.of(before, measured());
    }

    /** Debian images are built on the shared {@code base} tag. */
    boolean onDebianBase() {
        return this != BUSYBOX;
    }

    static BenchImage byId(String id) {
        for (BenchImage i : values()) {
            if (i.id.equals(id)) {
                return i;
            }
        }
        throw new IllegalArgumentException("unknown image " + id + " (busybox, python, jdk, app, python+app)");
    }
}
