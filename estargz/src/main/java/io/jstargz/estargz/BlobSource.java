package io.jstargz.estargz;

import java.io.Closeable;
import java.io.IOException;

/**
 * Random access to the bytes of one blob (an eStargz layer): a local file, or a registry blob read with HTTP Range
 * requests. The format code reads through this interface only, so a remote layer opens with the same code as a local
 * file.
 */
public interface BlobSource extends Closeable {

    /** Size of the blob in bytes. */
    long size() throws IOException;

    /**
     * Reads exactly {@code length} bytes starting at {@code offset}.
     *
     * @throws java.io.EOFException if the range extends past the end of the blob
     * @throws IOException          if the bytes cannot be read; the message names the blob and the range
     */
    byte[] read(long offset, int length) throws IOException;

    @Override
    default void close() throws IOException {
    }
}
