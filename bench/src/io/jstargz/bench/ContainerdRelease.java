package io.jstargz.bench;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Which containerd the node runs: Debian 12's 1.6 (the system's) or 2.1, which {@code scripts/setup.sh} unpacks from
 * Debian sid into a private directory. 2.1 reads config version 3 and pulls through its transfer service.
 */
enum ContainerdRelease {
    V1_6("1.6", Path.of("/usr/bin")),
    V2_1("2.1", Path.of("/opt/jstargz-test/containerd-2.1/usr/bin"));

    final String id;
    final Path binDir;

    ContainerdRelease(String id, Path binDir) {
        this.id = id;
        this.binDir = binDir;
    }

    static ContainerdRelease byId(String id) {
        for (ContainerdRelease r : values()) {
            if (r.id.equals(id)) {
                return r;
            }
        }
        throw new IllegalArgumentException("--containerd takes 1.6 or 2.1, not " + id);
    }

    Path containerd() {
        return binDir.resolve("containerd");
    }

    Path ctr() {
        return binDir.resolve("ctr");
    }

    boolean configV3() {
        return this != V1_6;
    }

    /** Why it cannot run here, or null. */
    String missing() {
        return Files.isExecutable(containerd()) ? null : containerd() + " is missing (scripts/setup.sh fetches it)";
    }
}
