package io.jstargz.snapshotter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * Where the daemon's native libraries are unpacked: sqlite-jdbc, jffi (under jnr-fuse and jnr-posix) and zstd-jni
 * each copy a shared library out of their jar and load it, by default into {@code java.io.tmpdir}. On a node /tmp may
 * be mounted {@code noexec} (then the load fails) or be cleaned under a running daemon; the daemon's root is its own.
 * Each library reads its property when it first loads, so this runs before anything touches them; a property set on
 * the command line is kept.
 */
final class NativeLibraries {
    /** The property of each library (sqlite-jdbc, jffi, zstd-jni) naming its extraction directory. */
    private static final List<String> PROPERTIES = List.of("org.sqlite.tmpdir", "jffi.extract.dir", "ZstdTempFolder");

    private NativeLibraries() {
    }

    /** Has the libraries unpacked under {@code dir} (made mode 0700: the daemon loads code from it). */
    static void extractUnder(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir.getParent());
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwx------")));
        }
        PROPERTIES.forEach(p -> {
            if (System.getProperty(p) == null) {
                System.setProperty(p, dir.toString());
            }
        });
    }
}
