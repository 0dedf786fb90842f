package io.jstargz.fs.binding;

import io.jstargz.io.FileRanges;
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
     * @throws java.io.EOFException if the file ends first
     */
    default void put(int at, FileChannel file, long position, int length) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(length);
        FileRanges.readFully(file, position, buf);
        put(at, buf.array(), 0, length);
    }
}
