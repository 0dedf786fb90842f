package io.jstargz.cache;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Identifies one uncompressed chunk in the {@link ChunkCache}: by the chunk's own digest (content addressed, shared
 * across layers and images), or by the blob digest and the chunk's offset in the blob when the TOC gives the chunk no
 * digest.
 *
 * <p>Digests are validated strictly ({@code sha256:} with 64, or {@code sha512:} with 128, lowercase hex digits)
 * because they become file names: a hostile TOC can never turn a key into a path such as {@code ../x}.
 */
public final class CacheKey {

    private static final Pattern FILE_NAME = Pattern.compile("(sha256|sha512)-([0-9a-f]+)(?:@([0-9]{1,19}))?");
    private static final int MAX_SHOWN = 80;
    private static final long NO_OFFSET = -1;

    private final String digest;
    private final long offset;

    private CacheKey(String digest, long offset) {
        this.digest = digest;
        this.offset = offset;
    }

    /**
     * The key of a chunk whose TOC entry has a {@code chunkDigest}.
     *
     * @throws IllegalArgumentException if {@code digest} is not {@code sha256:<64 hex>} or {@code sha512:<128 hex>}
     */
    public static CacheKey ofDigest(String digest) {
        return new CacheKey(validDigest(digest, "chunk digest"), NO_OFFSET);
    }

    /**
     * The key of a chunk without a digest: the digest of the (immutable) blob and the chunk's offset in it.
     *
     * @throws IllegalArgumentException if {@code blobDigest} is malformed or {@code offset} is negative
     */
    public static CacheKey ofBlobOffset(String blobDigest, long offset) {
        String valid = validDigest(blobDigest, "blob digest");
        if (offset < 0) {
            throw new IllegalArgumentException("negative chunk offset " + offset + " in blob " + valid);
        }
        return new CacheKey(valid, offset);
    }

    /** The chunk digest, or for a blob-offset key the blob digest. */
    public String digest() {
        return digest;
    }

    /** The chunk's offset in its blob for a blob-offset key; empty for a digest key. */
    public OptionalLong blobOffset() {
        return offset == NO_OFFSET ? OptionalLong.empty() : OptionalLong.of(offset);
    }

    /** The name of this key's file on disk: {@code sha256-<hex>} or {@code sha256-<hex>@<offset>}. */
    String fileName() {
        String name = digest.replace(':', '-');
        return offset == NO_OFFSET ? name : name + "@" + offset;
    }

    /**
     * Hex digits that spread keys evenly over shard directories: the digest itself for a content-addressed key; for a
     * blob-offset key a hash of the file name, since all chunks of one blob share the blob digest.
     */
    String shardHex() {
        if (offset == NO_OFFSET) {
            return digest.substring(digest.indexOf(':') + 1);
        }
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(fileName().getBytes(StandardCharsets.US_ASCII));
            return HexFormat.of().formatHex(hash, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform provides SHA-256", e);
        }
    }

    /** The key stored under {@code fileName}, or null when the name is not one this cache writes. */
    static CacheKey fromFileName(String fileName) {
        Matcher m = FILE_NAME.matcher(fileName);
        if (!m.matches()) {
            return null;
        }
        String digest = m.group(1) + ":" + m.group(2);
        try {
            validDigest(digest, "file name");
            return m.group(3) == null ? new CacheKey(digest, NO_OFFSET)
                    : new CacheKey(digest, Long.parseLong(m.group(3)));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static String validDigest(String digest, String what) {
        if (digest == null) {
            throw new IllegalArgumentException(what + " is missing");
        }
        int colon = digest.indexOf(':');
        String algorithm = colon < 0 ? "" : digest.substring(0, colon);
        int hexLength = switch (algorithm) {
            case "sha256" -> 64;
            case "sha512" -> 128;
            default -> throw invalid(what, digest, "the algorithm must be sha256 or sha512");
        };
        String hex = digest.substring(colon + 1);
        if (hex.length() != hexLength) {
            throw invalid(what, digest, algorithm + " needs " + hexLength + " hex digits, found " + hex.length());
        }
        for (int i = 0; i < hex.length(); i++) {
            char c = hex.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                throw invalid(what, digest, "character " + i + " of the hex part is not a lowercase hex digit");
            }
        }
        return digest;
    }

    private static IllegalArgumentException invalid(String what, String digest, String reason) {
        String shown = digest.length() > MAX_SHOWN ? digest.substring(0, MAX_SHOWN) + "..." : digest;
        return new IllegalArgumentException("invalid " + what + " '" + shown + "': " + reason);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CacheKey other && offset == other.offset && digest.equals(other.digest);
    }

    @Override
    public int hashCode() {
        return 31 * digest.hashCode() + Long.hashCode(offset);
    }

    /** {@code sha256:<hex>} for a digest key, {@code sha256:<hex>@<offset>} for a blob-offset key. */
    @Override
    public String toString() {
        return offset == NO_OFFSET ? digest : digest + "@" + offset;
    }
}
