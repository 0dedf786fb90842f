package io.jstargz.estargz;

import java.io.IOException;

/**
 * Where the TOC of a blob with an external TOC comes from (for a registry layer, its TOC image). Asked only when the
 * blob's footer says its TOC is external, and at most once per open.
 */
@FunctionalInterface
public interface ExternalTocSource {

    /**
     * The compressed TOC: a gzip member holding the tar entry {@code stargz.index.json}.
     *
     * @param maxSize the most bytes the caller takes; a larger TOC must be refused, not read
     * @throws java.nio.file.NoSuchFileException (or another IOException) naming what was looked for, if there is none
     */
    byte[] fetch(long maxSize) throws IOException;
}
