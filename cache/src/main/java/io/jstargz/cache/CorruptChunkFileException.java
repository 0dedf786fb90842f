package io.jstargz.cache;

import java.io.IOException;
import java.nio.file.Path;

/** A cached chunk file that is truncated, in an unknown format, or fails its checksum. */
final class CorruptChunkFileException extends IOException {

    CorruptChunkFileException(Path file, String reason) {
        super("cached chunk file " + file + " is corrupt: " + reason);
    }
}
