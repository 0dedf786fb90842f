package io.jstargz.fs.binding;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * The buffer a read fills, usually memory the FUSE library hands to the kernel. Bytes are copied straight from
 * cached chunks into it.
 */
public interface ReadTarget {

    /** Copies {@code src[srcOffset, srcOffset + length)} to position {@code at} of the target. */
    void put(int at, byte[] src, int srcOffset, int length);

    /**
     * Reads {@code length} bytes at {@code position} of {@code file} to position {@code at} of the target; a target in
     * native memory reads them into itself, with no copy on the heap.
     *
     * @throws EOFException if the file ends first
     */
    default void put(int at, FileChannel file, long position, int length) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(length);
        readFully(file, position, buf);
        put(at, buf.array(), 0, length);
    }

    /** Fills {@code into} from {@code file} at {@code position}. */
    static void readFully(FileChannel file, long position, ByteBuffer into) throws IOException {
        int start = into.position();
        while (into.hasRemaining()) {
            if (file.read(into, position + into.position() - start) < 0) {
                throw new EOFException("the file ends before offset " + (position + into.limit() - start));
            }
        }
    }
}
