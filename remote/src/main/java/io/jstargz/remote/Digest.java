package io.jstargz.remote;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * A content digest such as {@code sha256:2d47…}: the identity of a blob or manifest. Only {@code sha256} and
 * {@code sha512} are accepted (what registries produce); the hex part is validated so a digest can go into a URL path
 * or a file name safely.
 */
public record Digest(String algorithm, String hex) {

    private static final Pattern HEX = Pattern.compile("[0-9a-f]+");

    public Digest {
        int expected = switch (algorithm) {
            case "sha256" -> 64;
            case "sha512" -> 128;
            default -> throw new IllegalArgumentException("unsupported digest algorithm '" + algorithm
                    + "' (sha256 and sha512 are supported)");
        };
        if (hex.length() != expected || !HEX.matcher(hex).matches()) {
            throw new IllegalArgumentException("invalid " + algorithm + " digest '" + hex + "': expected "
                    + expected + " lowercase hex digits");
        }
    }

    /** Parses {@code algorithm:hex}. */
    @JsonCreator
    public static Digest parse(String digest) {
        int colon = digest.indexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("invalid digest '" + digest + "': expected algorithm:hex");
        }
        return new Digest(digest.substring(0, colon), digest.substring(colon + 1));
    }

    /** The sha256 digest of {@code bytes}. */
    public static Digest sha256(byte[] bytes) {
        return fromHash("sha256", newSha256().digest(bytes));
    }

    /** The digest made of a finished hash. */
    public static Digest fromHash(String algorithm, byte[] hash) {
        return new Digest(algorithm, HexFormat.of().formatHex(hash));
    }

    /** A fresh hasher for this digest's algorithm. */
    public MessageDigest newHasher() {
        try {
            return MessageDigest.getInstance(algorithm.equals("sha256") ? "SHA-256" : "SHA-512");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks " + algorithm, e);
        }
    }

    /** Whether {@code bytes} hash to this digest. */
    public boolean matches(byte[] bytes) {
        return matchesHash(newHasher().digest(bytes));
    }

    /** Whether a finished hash (from {@link #newHasher()}) equals this digest. */
    public boolean matchesHash(byte[] hash) {
        return HexFormat.of().formatHex(hash).equals(hex);
    }

    /** A fresh sha256 hasher. */
    public static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks SHA-256", e);
        }
    }

    @JsonValue
    @Override
    public String toString() {
        return algorithm + ":" + hex;
    }
}
