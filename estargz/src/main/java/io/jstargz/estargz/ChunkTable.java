package io.jstargz.estargz;

import java.util.Arrays;
import java.util.BitSet;

/**
 * Every chunk of a layer and the compressed spans that hold them, in primitive arrays.
 *
 * <p>Chunks have a global number {@code g}: in TOC order, which the index has checked is blob order (by blob offset,
 * then inner offset); a file's chunks are consecutive, from {@link #firstChunk(long)}. A <em>span</em> is one
 * compressed member (a gzip member, a zstd frame), {@code [start, end)}: the unit of fetching and of verification.
 * It usually holds one chunk; with {@code innerOffset} packing it holds several small files' chunks, which are then
 * consecutive too; a legacy file without chunk digests is one span over all its members. Spans are numbered in blob
 * order, so the span after span {@code s} in the blob is {@code s + 1}. Immutable; the numbering is fixed by the
 * TOC, so every mount of the layer shares it.
 */
public final class ChunkTable {
    private static final int DIGEST = 32;

    private final int[] firstChunk;
    private final long[] fileSize;
    private final long[] fileOffset;
    private final long[] innerOffset;
    private final byte[] digests;
    private final long[] spanStart;
    private final long[] spanEnd;
    private final int[] spanFirstChunk;
    private final BitSet wholeFileSpans;
    private final long spanBytes;

    /**
     * @param firstChunk     by inode ({@code inodes + 2} long): the chunks of file {@code f} are
     *                       {@code [firstChunk[f], firstChunk[f + 1])}
     * @param fileSize       by inode: the size of each file
     * @param fileOffset     by chunk: its offset in its file
     * @param innerOffset    by chunk: its offset in its span's inflated bytes
     * @param digests        by chunk: the 32 bytes of its SHA-256
     * @param spanStart      by span: its blob offset
     * @param spanEnd        by span: where it ends (the next member, or the TOC)
     * @param spanFirstChunk by span ({@code spans + 1} long): its first chunk
     * @param wholeFileSpans the spans that hold one file verified whole (see {@link #verifiedWhole(int)})
     */
    ChunkTable(int[] firstChunk, long[] fileSize, long[] fileOffset, long[] innerOffset, byte[] digests,
               long[] spanStart, long[] spanEnd, int[] spanFirstChunk, BitSet wholeFileSpans) {
        this.firstChunk = firstChunk;
        this.fileSize = fileSize;
        this.fileOffset = fileOffset;
        this.innerOffset = innerOffset;
        this.digests = digests;
        this.spanStart = spanStart;
        this.spanEnd = spanEnd;
        this.spanFirstChunk = spanFirstChunk;
        this.wholeFileSpans = wholeFileSpans;
        long total = 0;
        for (int s = 0; s < spanStart.length; s++) {
            total += spanEnd[s] - spanStart[s];
        }
        this.spanBytes = total;
    }

    /** Number of chunks in the layer. */
    public int count() {
        return fileOffset.length;
    }

    /** Global number of the first chunk of the file with inode {@code inode} (any inode has one: its count may be 0). */
    public int firstChunk(long inode) {
        return firstChunk[(int) inode];
    }

    /** How many chunks the file with inode {@code inode} has (0 for empty files and other types). */
    public int chunkCount(long inode) {
        return firstChunk[(int) inode + 1] - firstChunk[(int) inode];
    }

    /** The inode of the file chunk {@code g} belongs to. */
    public int file(int g) {
        // the last inode whose chunks start at or before g: inodes without chunks share the next one's start
        int lo = 1;
        int hi = firstChunk.length - 2;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (firstChunk[mid] <= g) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    /** Offset of chunk {@code g} in its file. */
    public long fileOffset(int g) {
        return fileOffset[g];
    }

    /** Offset in its file just past chunk {@code g}. */
    public long fileEnd(int g) {
        return g + 1 < fileOffset.length && fileOffset[g + 1] != 0 ? fileOffset[g + 1] : fileSize[file(g)];
    }

    /** Uncompressed size of chunk {@code g}. */
    public long size(int g) {
        return fileEnd(g) - fileOffset[g];
    }

    /** Offset of chunk {@code g} in the inflated bytes of its span. */
    public long innerOffset(int g) {
        return innerOffset[g];
    }

    /**
     * {@code sha256:<hex>} of chunk {@code g}'s bytes, also its content address in caches; for a chunk of a span
     * {@link #verifiedWhole verified whole}, a key derived from its file's digest and its place in the file.
     */
    public String digest(int g) {
        return Digests.format(digestBytes(g));
    }

    /** The 32 bytes of chunk {@code g}'s SHA-256 (a copy). */
    byte[] digestBytes(int g) {
        return Arrays.copyOfRange(digests, g * DIGEST, g * DIGEST + DIGEST);
    }

    /** The span holding chunk {@code g}. */
    public int spanOf(int g) {
        int i = Arrays.binarySearch(spanFirstChunk, g);
        if (i >= 0) {
            // spans hold at least one chunk, so a span's first chunk is no other span's first chunk
            return i;
        }
        return -i - 2;
    }

    /**
     * Whether span {@code s} holds all the chunks of one file that has no chunk digests (legacy stargz): its chunks
     * are verified together, by the file's digest, and its members are read one after the other (a chunk's
     * {@link #innerOffset} is then its offset in the file).
     */
    public boolean verifiedWhole(int s) {
        return wholeFileSpans.get(s);
    }

    public int spanCount() {
        return spanStart.length;
    }

    /** Blob offset where span {@code s} starts. */
    public long spanStart(int s) {
        return spanStart[s];
    }

    /** Blob offset where span {@code s} ends: the next member, or the TOC. */
    public long spanEnd(int s) {
        return spanEnd[s];
    }

    public long spanLength(int s) {
        return spanEnd[s] - spanStart[s];
    }

    /** Global number of span {@code s}'s first chunk; its chunks are consecutive, by inner offset. */
    public int spanFirstChunk(int s) {
        return spanFirstChunk[s];
    }

    /** How many chunks span {@code s} holds. */
    public int spanChunkCount(int s) {
        return spanFirstChunk[s + 1] - spanFirstChunk[s];
    }

    /** Sum of all span lengths: the compressed bytes that hold file contents. */
    public long spanBytes() {
        return spanBytes;
    }

    /** The first span starting at or after blob offset {@code offset}, or {@link #spanCount()}. */
    public int firstSpanAtOrAfter(long offset) {
        int i = Arrays.binarySearch(spanStart, offset);
        return i >= 0 ? i : -i - 1;
    }

    /** Chunk {@code g} as a record (made on each call). */
    public Chunk chunk(int g) {
        int s = spanOf(g);
        return new Chunk(fileOffset[g], size(g), spanStart[s], spanEnd[s], innerOffset[g], digest(g));
    }
}
