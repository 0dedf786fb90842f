package io.jstargz.io;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/** Positional reads of a file range, whole. */
public final class FileRanges {
    private FileRanges() {
    }

    /**
     * Fills {@code into} (from its position to its limit) with the bytes of {@code file} at {@code position}.
     *
     * @throws EOFException if the file ends first
     */
    public static void readFully(FileChannel file, long position, ByteBuffer into) throws IOException {
        long at = position;
        while (into.hasRemaining()) {
            int n = file.read(into, at);
            if (n < 0) {
                throw new EOFException("the file ends at offset " + at + ", before " + (at + into.remaining()));
            }
            at += n;
        }
    }
}
