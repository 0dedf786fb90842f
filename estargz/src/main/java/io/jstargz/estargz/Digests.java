package io.jstargz.estargz;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 helpers and the {@code sha256:<hex>} digest strings used throughout OCI and the TOC. */
public final class Digests {

    /** The prefix of every digest string this library reads or writes. */
    public static final String SHA256_PREFIX = "sha256:";

    private static final HexFormat HEX = HexFormat.of();

    private Digests() {
    }

    /** A fresh SHA-256 {@link MessageDigest}. */
    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /** {@code sha256:<hex>} of a finished hash. */
    public static String format(byte[] sha256) {
        return SHA256_PREFIX + HEX.formatHex(sha256);
    }

    /** {@code sha256:<hex>} of some bytes. */
    public static String of(byte[] data) {
        return format(sha256().digest(data));
    }

    /** Lower-case hex of some bytes. */
    public static String hex(byte[] bytes) {
        return HEX.formatHex(bytes);
    }

    /**
     * The 32 raw bytes of a {@code sha256:<64 lower-case hex digits>} string, or {@code null} if the string is not
     * exactly that.
     */
    public static byte[] parseSha256(String digest) {
        return isSha256(digest) ? HEX.parseHex(digest, SHA256_PREFIX.length(), digest.length()) : null;
    }

    /** Whether {@code digest} is exactly {@code sha256:<64 lower-case hex digits>}. */
    public static boolean isSha256(String digest) {
        if (digest == null || digest.length() != SHA256_PREFIX.length() + 64 || !digest.startsWith(SHA256_PREFIX)) {
            return false;
        }
        for (int i = SHA256_PREFIX.length(); i < digest.length(); i++) {
            char c = digest.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }
}
