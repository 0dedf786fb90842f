package io.jstargz.fs.binding;

/**
 * The buffer a read fills, usually memory the FUSE library hands to the kernel. Bytes are copied straight from
 * cached chunks into it.
 */
public interface ReadTarget {

    /** Copies {@code src[srcOffset, srcOffset + length)} to position {@code at} of the target. */
    void put(int at, byte[] src, int srcOffset, int length);
}
