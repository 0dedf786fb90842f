package io.jstargz.build;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * What was built: the project's version, written into {@code build.properties} by Maven's resource filtering (a
 * manifest entry would be missing when the classes run from a directory, as in tests and {@code bin/jstargz}).
 *
 * @param version the Maven project version, e.g. {@code 0.1.0-SNAPSHOT}
 */
public record BuildInfo(String version) {

    private static final BuildInfo CURRENT = load();

    /** The build these classes come from. */
    public static BuildInfo current() {
        return CURRENT;
    }

    private static BuildInfo load() {
        Properties p = new Properties();
        try (InputStream in = BuildInfo.class.getResourceAsStream("build.properties")) {
            if (in == null) {
                throw new IllegalStateException("io/jstargz/build/build.properties is missing from the classpath");
            }
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read io/jstargz/build/build.properties", e);
        }
        return new BuildInfo(p.getProperty("version"));
    }
}
