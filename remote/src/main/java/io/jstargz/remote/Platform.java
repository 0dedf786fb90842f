package io.jstargz.remote;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Locale;

/**
 * An OCI platform ({@code os/architecture[/variant]}) with containerd's normalization: {@code x86_64} is
 * {@code amd64}, {@code aarch64} is {@code arm64}, and arm64's variant {@code v8} is its default.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record Platform(String os, String architecture, String variant) {

    public Platform {
        if (os == null || os.isEmpty() || architecture == null || architecture.isEmpty()) {
            throw new IllegalArgumentException("a platform needs an os and an architecture");
        }
        variant = variant == null ? "" : variant;
    }

    /** Parses {@code os/arch[/variant]}, e.g. {@code linux/arm64/v8}. */
    public static Platform parse(String platform) {
        String[] parts = platform.split("/");
        if (parts.length < 2 || parts.length > 3) {
            throw new IllegalArgumentException("invalid platform '" + platform + "': expected os/arch[/variant]");
        }
        return new Platform(parts[0], parts[1], parts.length == 3 ? parts[2] : "");
    }

    /** The platform this JVM runs on. */
    public static Platform current() {
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        return new Platform(os.startsWith("windows") ? "windows" : os, arch, "").normalized();
    }

    /** The canonical spelling of this platform. */
    public Platform normalized() {
        String arch = architecture.toLowerCase(Locale.ROOT);
        String v = variant.toLowerCase(Locale.ROOT);
        switch (arch) {
            case "x86_64", "x86-64", "amd64" -> arch = "amd64";
            case "i386", "x86", "386" -> arch = "386";
            case "aarch64", "arm64" -> {
                arch = "arm64";
                v = v.equals("8") || v.equals("v8") ? "" : v;
            }
            case "armhf" -> {
                arch = "arm";
                v = "v7";
            }
            case "armel" -> {
                arch = "arm";
                v = "v6";
            }
            case "arm" -> v = v.isEmpty() ? "v7" : (v.startsWith("v") ? v : "v" + v);
            default -> {
            }
        }
        return new Platform(os.toLowerCase(Locale.ROOT), arch, v);
    }

    /** Whether {@code candidate} (from an index) can run where this platform is wanted. */
    public boolean matches(Platform candidate) {
        return normalized().equals(candidate.normalized());
    }

    @Override
    public String toString() {
        return os + "/" + architecture + (variant.isEmpty() ? "" : "/" + variant);
    }
}
