package io.jstargz;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Properties;

/**
 * The version and commit this build was made from: the Maven project version (filtered into
 * {@code build.properties}) and {@code git rev-parse HEAD} at build time ({@code commit}; "unknown" outside a git
 * checkout).
 *
 * @param version the project version, e.g. {@code 0.1.0-SNAPSHOT}
 * @param commit  the abbreviated commit hash, or {@code unknown}
 */
public record BuildInfo(String version, String commit) {
    private static final BuildInfo CURRENT = read();

    /** This build's. */
    public static BuildInfo current() {
        return CURRENT;
    }

    /** {@code 0.1.0-SNAPSHOT (commit 3ce9b4a0c1d2)}. */
    @Override
    public String toString() {
        return version + " (commit " + commit + ")";
    }

    private static BuildInfo read() {
        Properties p = new Properties();
        String commit;
        try (InputStream props = BuildInfo.class.getResourceAsStream("build.properties");
             InputStream c = BuildInfo.class.getResourceAsStream("commit")) {
            if (props != null) {
                p.load(props);
            }
            commit = c == null ? "" : new String(c.readAllBytes(), StandardCharsets.US_ASCII).strip();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the build's version from the jar", e);
        }
        return new BuildInfo(p.getProperty("version", "unknown"), commit.matches("[0-9a-f]{7,40}") ? commit
                : "unknown");
    }
}
