package io.jstargz.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The containerd a test runs against: Debian 12's 1.6 (the system's, config version 2) or 2.1 from Debian sid,
 * unpacked by {@code scripts/setup.sh} into a private directory (config version 3). Chosen once per test JVM by the
 * system property {@code jstargz.containerd} ({@code 1.6}, the default, or {@code 2.1}): {@code make test} runs the
 * end-to-end tests once with each.
 *
 * @param version the release line, as {@code containerd --version} prints it at the start of its version
 * @param binDir  where {@code containerd}, {@code ctr} and {@code containerd-shim-runc-v2} are
 */
public record ContainerdRelease(String version, Path binDir) {
    public static final String PROPERTY = "jstargz.containerd";
    public static final ContainerdRelease V1_6 = new ContainerdRelease("1.6", Path.of("/usr/bin"));
    public static final ContainerdRelease V2_1 = new ContainerdRelease("2.1",
            Path.of("/opt/jstargz-test/containerd-2.1/usr/bin"));

    /** The release {@code jstargz.containerd} names; an unknown name is an error, not a silent default. */
    public static ContainerdRelease underTest() {
        String name = System.getProperty(PROPERTY, V1_6.version()).trim().toLowerCase(Locale.ROOT);
        return switch (name) {
            case "1.6" -> V1_6;
            case "2.1" -> V2_1;
            default -> throw new IllegalArgumentException("-D" + PROPERTY + "=" + name
                    + ": no such containerd release; use 1.6 or 2.1");
        };
    }

    public Path containerd() {
        return binDir.resolve("containerd");
    }

    public Path ctr() {
        return binDir.resolve("ctr");
    }

    public Path shim() {
        return binDir.resolve("containerd-shim-runc-v2");
    }

    /** containerd 2.x reads config version 3, where the CRI plugin is split and some sections were renamed. */
    public boolean configV3() {
        return !version.startsWith("1.");
    }

    /** Fails loudly, naming what installs it, when a binary of this release is missing. */
    void requireInstalled() {
        for (Path bin : List.of(containerd(), ctr(), shim())) {
            if (!Files.isExecutable(bin)) {
                throw new IllegalStateException(bin + " is missing: containerd " + version
                        + (configV3() ? " is fetched from Debian by scripts/setup.sh (make setup)"
                                : " is Debian's containerd package (scripts/setup.sh installs it)"));
            }
        }
    }

    @Override
    public String toString() {
        return "containerd " + version;
    }
}
