package io.jstargz.estargz;

import io.jstargz.estargz.InvalidBlobException.Reason;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.DigestException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.BitSet;
import java.util.function.IntFunction;

/**
 * The chunk rows of a TOC as they are read (a regular file's entry, then its {@code chunk} entries), then checked
 * and turned into a {@link ChunkTable}. Each row's span end is the offset of the next entry that starts a
 * compressed member, so it is set when that entry arrives (or at the payload's end for the last ones): one pass, no
 * second look at the TOC. The checks are the ones a hostile TOC needs: each file's chunks tile it, lie in blob order inside the payload,
 * have a digest, are not larger than the limit, and could come out of their compressed span. A file of several
 * chunks without chunk digests (legacy stargz) is verified by its whole-file digest instead: its members become one
 * span, decoded and verified together.
 */
final class ChunkRows {
    private static final int DIGEST = 32;
    private static final byte[] WHOLE_FILE_KEY = "jstargz: a chunk of a file verified whole\0"
            .getBytes(StandardCharsets.US_ASCII);

    private int rows;
    private int open;
    private long[] fileOffset;
    private long[] declaredSize;
    private long[] blobOffset;
    private long[] blobEnd;
    private long[] innerOffset;
    private byte[] digests;
    private boolean[] hasDigest;
    private int[] firstChunk;
    private byte[] fileDigests;
    private int fileDigestCount;

    ChunkRows(int expected) {
        int capacity = Math.max(16, expected);
        fileOffset = new long[capacity];
        declaredSize = new long[capacity];
        blobOffset = new long[capacity];
        blobEnd = new long[capacity];
        innerOffset = new long[capacity];
        digests = new byte[capacity * DIGEST];
        hasDigest = new boolean[capacity];
        firstChunk = new int[capacity + 2];
        fileDigests = new byte[capacity * DIGEST];
    }

    /** Records that inode {@code inode} (the next number) was made: its chunks, if any, come next. */
    void inodeMade(int inode) {
        if (inode + 1 >= firstChunk.length) {
            firstChunk = Arrays.copyOf(firstChunk, firstChunk.length * 2);
        }
        firstChunk[inode] = rows;
    }

    /** An entry at a member's start ({@code offset != 0}, no inner offset): the open rows' spans end there. */
    void memberStart(long offset) {
        while (open < rows) {
            blobEnd[open++] = offset;
        }
    }

    /** Adds the row of entry {@code e}; {@code digest} holds its chunkDigest's 32 bytes when {@code withDigest}. */
    void add(TocFields e, byte[] digest, boolean withDigest) {
        if (rows == fileOffset.length) {
            int capacity = rows * 2;
            fileOffset = Arrays.copyOf(fileOffset, capacity);
            declaredSize = Arrays.copyOf(declaredSize, capacity);
            blobOffset = Arrays.copyOf(blobOffset, capacity);
            blobEnd = Arrays.copyOf(blobEnd, capacity);
            innerOffset = Arrays.copyOf(innerOffset, capacity);
            digests = Arrays.copyOf(digests, capacity * DIGEST);
            hasDigest = Arrays.copyOf(hasDigest, capacity);
        }
        fileOffset[rows] = e.chunkOffset;
        declaredSize[rows] = e.chunkSize;
        blobOffset[rows] = e.offset;
        innerOffset[rows] = e.innerOffset;
        hasDigest[rows] = withDigest;
        if (withDigest) {
            System.arraycopy(digest, 0, digests, rows * DIGEST, DIGEST);
        }
        rows++;
    }

    /**
     * Records the whole-file digest of the regular file made last, which is flagged {@link Inodes#HAS_DIGEST}: the
     * digests are taken in inode order.
     */
    void fileDigest(byte[] digest) {
        if ((fileDigestCount + 1) * DIGEST > fileDigests.length) {
            fileDigests = Arrays.copyOf(fileDigests, fileDigests.length * 2);
        }
        System.arraycopy(digest, 0, fileDigests, fileDigestCount * DIGEST, DIGEST);
        fileDigestCount++;
    }

    /**
     * Checks every file's rows and builds the table: the last inode is {@code inodes}; {@code footer} says where the
     * payload ends and how far its format can expand a span; {@code path} names a file in messages. Whole-file
     * digests that are not their only chunk's go to {@code attributes}; the others are flagged there as
     * {@link Inodes#DIGEST_OF_CHUNK}.
     */
    ChunkTable finish(Inodes attributes, Footer footer, long maxChunkSize, IntFunction<String> path, String layer)
            throws InvalidBlobException {
        int inodes = attributes.count();
        long payloadEnd = footer.payloadEnd();
        long maxExpansion = footer.format().maxExpansion();
        memberStart(payloadEnd);
        firstChunk = Arrays.copyOf(firstChunk, inodes + 2);
        firstChunk[inodes + 1] = rows;
        long lastOffset = -1;
        long lastInner = -1;
        int spans = 0;
        long[] spanEnd = new long[rows];
        int[] spanFirst = new int[rows + 1];
        BitSet wholeSpans = new BitSet();
        int digestAt = 0;
        for (int f = 1; f <= inodes; f++) {
            int first = firstChunk[f];
            int n = firstChunk[f + 1] - first;
            // the whole-file digest, if any, at fileDigests[whole, whole + DIGEST)
            int whole = -1;
            if (attributes.is(f, Inodes.HAS_DIGEST)) {
                whole = digestAt++ * DIGEST;
            }
            long size = attributes.size(f);
            boolean verifiedWhole = n > 1 && missingDigest(first, n);
            if (verifiedWhole) {
                checkVerifiableWhole(f, first, n, whole >= 0, size, maxChunkSize, path, layer);
            }
            long expected = 0;
            for (int k = 0; k < n; k++) {
                int g = first + k;
                long at = fileOffset[g];
                if (at != expected) {
                    throw bad(layer, Reason.BAD_CHUNKS, file(path, f) + ": chunk #" + k + " starts at " + at
                            + ", expected " + expected);
                }
                long chunk = declaredSize[g] == 0 ? size - at : declaredSize[g];
                if (chunk <= 0 || chunk > size - at) {
                    throw bad(layer, Reason.BAD_CHUNKS, file(path, f) + ": chunk #" + k + " at " + at + " has size "
                            + chunk + ", outside the file's " + size + " bytes");
                }
                if (chunk > maxChunkSize) {
                    throw bad(layer, Reason.CHUNK_TOO_LARGE, file(path, f) + ": chunk #" + k + " at " + at + " is "
                            + chunk + " bytes, over the limit of " + maxChunkSize);
                }
                long offset = blobOffset[g];
                long end = blobEnd[g];
                long inner = innerOffset[g];
                if (offset <= 0 || offset >= payloadEnd) {
                    throw bad(layer, Reason.CHUNK_OUT_OF_RANGE, file(path, f) + ": chunk #" + k + " has blob offset "
                            + offset + ", outside the payload [1, " + payloadEnd + ")");
                }
                if (offset < lastOffset || offset == lastOffset && inner <= lastInner) {
                    throw bad(layer, Reason.BAD_CHUNKS, file(path, f) + ": chunk #" + k + " at blob offset " + offset
                            + " is out of order (the previous chunk is at " + lastOffset + ")");
                }
                if (end <= offset) {
                    throw bad(layer, Reason.BAD_CHUNKS, file(path, f) + ": chunk #" + k + " at blob offset " + offset
                            + " is out of order (the next chunk starts at " + end + ")");
                }
                long span = end - offset;
                long inflatable = span > Long.MAX_VALUE / maxExpansion ? Long.MAX_VALUE : span * maxExpansion;
                if (chunk > inflatable || inner > inflatable - chunk) {
                    throw bad(layer, Reason.CHUNK_OUT_OF_RANGE, file(path, f) + ": chunk #" + k + " claims " + chunk
                            + " bytes at inner offset " + inner + ", more than its " + (end - offset)
                            + " compressed bytes can hold");
                }
                if (verifiedWhole) {
                    // the file's members are read as one span; each holds exactly its chunk, but the last
                    innerOffset[g] = at;
                    wholeFileChunkKey(fileDigests, whole, at, chunk, digests, g * DIGEST);
                } else if (!hasDigest[g]) {
                    if (n != 1 || whole < 0) {
                        throw bad(layer, Reason.MISSING_DIGEST, file(path, f) + ": chunk #" + k
                                + " has no chunkDigest, so it cannot be verified");
                    }
                    System.arraycopy(fileDigests, whole, digests, g * DIGEST, DIGEST);
                }
                if (offset != lastOffset && !(verifiedWhole && k > 0)) {
                    spanFirst[spans] = g;
                    spanEnd[spans++] = end;
                } else {
                    spanEnd[spans - 1] = Math.max(spanEnd[spans - 1], end);
                }
                if (verifiedWhole) {
                    wholeSpans.set(spans - 1);
                }
                lastOffset = offset;
                lastInner = inner;
                expected += chunk;
            }
            if (expected != size) {
                throw bad(layer, Reason.BAD_CHUNKS, file(path, f) + ": chunks cover " + expected + " of " + size
                        + " bytes");
            }
            if (whole >= 0) {
                if (n == 1 && Arrays.equals(fileDigests, whole, whole + DIGEST, digests, first * DIGEST,
                        first * DIGEST + DIGEST)) {
                    attributes.set(f, Inodes.DIGEST_OF_CHUNK);
                } else {
                    attributes.digests.put(f, Arrays.copyOfRange(fileDigests, whole, whole + DIGEST));
                }
            }
        }
        spanFirst[spans] = rows;
        long[] spanStart = new long[spans];
        for (int s = 0; s < spans; s++) {
            spanStart[s] = blobOffset[spanFirst[s]];
        }
        return new ChunkTable(firstChunk, attributes.sizes(), Arrays.copyOf(fileOffset, rows),
                Arrays.copyOf(innerOffset, rows), Arrays.copyOf(digests, rows * DIGEST), spanStart,
                Arrays.copyOf(spanEnd, spans), Arrays.copyOf(spanFirst, spans + 1), wholeSpans);
    }

    private boolean missingDigest(int first, int n) {
        for (int g = first; g < first + n; g++) {
            if (!hasDigest[g]) {
                return true;
            }
        }
        return false;
    }

    /**
     * A file of several chunks without chunk digests (legacy stargz) can be verified only as a whole, from one span
     * over all its members: it needs a whole-file digest, must fit the chunk size limit (it is held whole), and
     * cannot be packed with other files.
     */
    private void checkVerifiableWhole(int f, int first, int n, boolean hasWholeDigest, long size, long maxChunkSize,
                                      IntFunction<String> path, String layer) throws InvalidBlobException {
        if (!hasWholeDigest) {
            throw bad(layer, Reason.MISSING_DIGEST, file(path, f) + " has " + n + " chunks, some without a"
                    + " chunkDigest, and no digest of its own, so it cannot be verified");
        }
        if (size > maxChunkSize) {
            throw bad(layer, Reason.CHUNK_TOO_LARGE, file(path, f) + " has chunks without a chunkDigest, so it is"
                    + " verified whole, and its " + size + " bytes are over the limit of " + maxChunkSize);
        }
        for (int g = first; g < first + n; g++) {
            if (innerOffset[g] != 0) {
                throw bad(layer, Reason.MISSING_DIGEST, file(path, f) + ": chunk #" + (g - first) + " is packed"
                        + " (innerOffset " + innerOffset[g] + ") and the file has chunks without a chunkDigest,"
                        + " so it cannot be verified");
            }
        }
    }

    /**
     * The cache key of a chunk verified through its file's digest: its content has no digest of its own, so the key
     * is derived from the file's digest and the chunk's place in the file (equal content, equal key).
     */
    private static void wholeFileChunkKey(byte[] fileDigest, int at, long fileOffset, long size, byte[] out,
                                          int outAt) {
        MessageDigest sha = Digests.sha256();
        sha.update(WHOLE_FILE_KEY);
        sha.update(fileDigest, at, DIGEST);
        sha.update(ByteBuffer.allocate(16).putLong(fileOffset).putLong(size).array());
        try {
            sha.digest(out, outAt, DIGEST);
        } catch (DigestException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String file(IntFunction<String> path, int inode) {
        return "file " + GoStrings.quote(path.apply(inode));
    }

    private static InvalidBlobException bad(String layer, Reason reason, String message) {
        return new InvalidBlobException(reason, "layer " + layer + ": " + message);
    }
}
