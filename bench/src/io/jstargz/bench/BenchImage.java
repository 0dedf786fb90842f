package io.jstargz.bench;

import java.util.List;

/** The images the benchmark runs, each with its workload and the output that proves the workload ran. */
enum BenchImage {
    BUSYBOX("busybox", List.of("echo", "hi"), "hi"),
    PYTHON("python", List.of("python3", "-c", "import json, sqlite3; print(1)"), "1"),
    JDK("jdk", List.of("java", "/app/Hello.java"), "hello from java");

    /** Its name in bench/images/build.sh, in the OCI layout and in the registry ({@code bench/<name>}). */
    final String id;
    final List<String> workload;
    final String expectedOutput;

    BenchImage(String id, List<String> workload, String expectedOutput) {
        this.id = id;
        this.workload = workload;
        this.expectedOutput = expectedOutput;
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
        throw new IllegalArgumentException("unknown image " + id + " (busybox, python, jdk)");
    }
}
