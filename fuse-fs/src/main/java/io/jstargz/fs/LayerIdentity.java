package io.jstargz.fs;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Which layer a mount serves: for logs, the mount's source name and status.
 *
 * @param imageRef the image the layer was resolved from ({@code 127.0.0.1:5000/app:1}), or a local file's path
 * @param digest   the layer blob's digest ({@code sha256:...}), or empty when unknown (a local file)
 */
public record LayerIdentity(String imageRef, String digest) {

    public LayerIdentity {
        Objects.requireNonNull(imageRef, "imageRef");
        Objects.requireNonNull(digest, "digest");
    }

    /** A layer in a local blob file, known by its path. */
    public static LayerIdentity ofFile(Path blob) {
        return new LayerIdentity(blob.toAbsolutePath().toString(), "");
    }

    /** How logs and errors name the layer: the digest, else the image reference or file. */
    public String name() {
        return digest.isEmpty() ? imageRef : digest;
    }

    /** A dozen characters for thread names: the digest's first hex digits, else the file name. */
    String shortName() {
        String n = base();
        int colon = n.indexOf(':');
        String s = colon >= 0 ? n.substring(colon + 1) : n;
        return s.length() > 12 ? s.substring(0, 12) : s;
    }

    /** The mount's source as {@code /proc/mounts} shows it: the digest, else the file name (no commas or spaces). */
    String fsName() {
        return base().replaceAll("[^A-Za-z0-9._:@+=-]", "_");
    }

    private String base() {
        return digest.isEmpty() ? Path.of(imageRef).getFileName().toString() : digest;
    }
}
