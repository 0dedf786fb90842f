package io.jstargz.estargz;

import java.io.IOException;
import java.util.Arrays;
import java.util.Objects;

/**
 * The end of a blob, already fetched: its bytes {@code [offset, blobSize)}. Opening a layer reads its tail (footer and
 * TOC, and for a small layer its file data too); this one value carries those bytes from the read that fetched them
 * to the mount that caches their file data and to the copy of the TOC kept for restarts, so none is fetched twice.
 * The array is shared, not copied: nobody modifies it.
 *
 * @param blobSize the blob's size in bytes
 * @param offset   where the bytes start in the blob
 * @param bytes    the blob's bytes {@code [offset, blobSize)}
 */
public record BlobTail(long blobSize, long offset, byte[] bytes) {

    public BlobTail {
        Objects.requireNonNull(bytes, "bytes");
        if (offset < 0 || blobSize - offset != bytes.length) {
            throw new IllegalArgumentException("a tail of " + bytes.length + " bytes at " + offset
                    + " does not end a blob of " + blobSize + " bytes");
        }
    }

    /** Nothing of a blob of {@code blobSize} bytes: only its size is known. */
    public static BlobTail none(long blobSize) {
        return new BlobTail(blobSize, blobSize, new byte[0]);
    }

    /** Whether {@code [at, at + length)} lies in this tail. */
    public boolean covers(long at, long length) {
        return at >= offset && length >= 0 && at + length <= blobSize;
    }

    /** The bytes {@code [at, at + length)}, which this tail covers: the array itself when it is all of it. */
    public byte[] slice(long at, int length) {
        if (!covers(at, length)) {
            throw new IllegalArgumentException("bytes [" + at + ", " + (at + length) + ") are not in the tail ["
                    + offset + ", " + blobSize + ")");
        }
        if (at == offset && length == bytes.length) {
            return bytes;
        }
        int from = (int) (at - offset);
        return Arrays.copyOfRange(bytes, from, from + length);
    }

    /** This tail from {@code at} on (at least from its own start). */
    public BlobTail from(long at) {
        long start = Math.max(offset, at);
        return start == offset ? this
                : new BlobTail(blobSize, start, Arrays.copyOfRange(bytes, (int) (start - offset), bytes.length));
    }

    /** This tail with the bytes {@code head} just before it. */
    public BlobTail after(byte[] head) {
        byte[] joined = Arrays.copyOf(head, head.length + bytes.length);
        System.arraycopy(bytes, 0, joined, head.length, bytes.length);
        return new BlobTail(blobSize, offset - head.length, joined);
    }

    /** The blob as far as this tail knows it, named {@code layer} in errors: reads outside the tail fail. */
    public BlobSource source(String layer) {
        return new BlobSource() {
            @Override
            public long size() {
                return blobSize;
            }

            @Override
            public byte[] read(long at, int length) throws IOException {
                if (!covers(at, length)) {
                    throw new IOException("layer " + layer + ": bytes [" + at + ", " + (at + length)
                            + ") are not in its local tail [" + offset + ", " + blobSize + ")");
                }
                return slice(at, length);
            }
        };
    }
}
