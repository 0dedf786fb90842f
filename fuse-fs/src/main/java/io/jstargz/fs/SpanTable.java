package io.jstargz.fs;

import io.jstargz.cache.CacheKey;
import io.jstargz.estargz.Chunk;
import io.jstargz.estargz.Entry;
import io.jstargz.estargz.LayerIndex;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Every chunk of a layer and the compressed spans that hold them, built once per mount from the index.
 *
 * <p>A <em>span</em> is one gzip member, {@code [blobOffset, blobEnd)}: the unit of fetching. It usually holds one
 * chunk; with {@code innerOffset} packing it holds several small files. Spans are numbered in blob order. Chunks have
 * a global number: a file's chunks are numbered consecutively in file order, from {@link #firstChunk(Entry)}.
 */
final class SpanTable {
    private final Entry[] chunkFile;
    private final Chunk[] chunks;
    private final CacheKey[] keys;
    private final int[] spanOfChunk;
    private final int[] firstChunkOfInode;
    private final long[] spanStart;
    private final long[] spanEnd;
    private final int[] spanChunkFrom;
    private final int[] spanChunks;
    private final long spanBytes;

    private SpanTable(Entry[] chunkFile, Chunk[] chunks, int[] firstChunkOfInode) {
        this.chunkFile = chunkFile;
        this.chunks = chunks;
        this.firstChunkOfInode = firstChunkOfInode;
        int n = chunks.length;
        keys = new CacheKey[n];
        for (int g = 0; g < n; g++) {
            keys[g] = CacheKey.ofDigest(chunks[g].digest().toLowerCase(Locale.ROOT));
        }
        Integer[] order = new Integer[n];
        for (int g = 0; g < n; g++) {
            order[g] = g;
        }
        Arrays.sort(order, Comparator.<Integer>comparingLong(g -> chunks[g].blobOffset())
                .thenComparingLong(g -> chunks[g].innerOffset()));
        spanOfChunk = new int[n];
        spanChunks = new int[n];
        List<long[]> ranges = new ArrayList<>();
        List<Integer> from = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int g = order[i];
            Chunk c = chunks[g];
            long[] last = ranges.isEmpty() ? null : ranges.get(ranges.size() - 1);
            if (last == null || last[0] != c.blobOffset()) {
                ranges.add(new long[] {c.blobOffset(), c.blobEnd()});
                from.add(i);
            } else {
                last[1] = Math.max(last[1], c.blobEnd());
            }
            spanOfChunk[g] = ranges.size() - 1;
            spanChunks[i] = g;
        }
        int spans = ranges.size();
        spanStart = new long[spans];
        spanEnd = new long[spans];
        spanChunkFrom = new int[spans + 1];
        long total = 0;
        for (int s = 0; s < spans; s++) {
            spanStart[s] = ranges.get(s)[0];
            spanEnd[s] = ranges.get(s)[1];
            spanChunkFrom[s] = from.get(s);
            total += spanEnd[s] - spanStart[s];
        }
        spanChunkFrom[spans] = n;
        spanBytes = total;
    }

    /** The table of every regular file's chunks (each inode once, so hardlinks do not repeat chunks). */
    static SpanTable of(LayerIndex index) {
        int inodes = index.entryCount();
        int[] firstChunkOfInode = new int[inodes + 1];
        List<Entry> files = new ArrayList<>();
        List<Chunk> all = new ArrayList<>();
        for (int ino = 1; ino <= inodes; ino++) {
            Entry e = index.entry(ino);
            firstChunkOfInode[ino] = all.size();
            if (e.isRegular()) {
                for (Chunk c : e.chunks()) {
                    files.add(e);
                    all.add(c);
                }
            }
        }
        return new SpanTable(files.toArray(Entry[]::new), all.toArray(Chunk[]::new), firstChunkOfInode);
    }

    /** Global number of a regular file's first chunk. */
    int firstChunk(Entry file) {
        return firstChunkOfInode[(int) file.inode()];
    }

    int chunkCount() {
        return chunks.length;
    }

    Chunk chunk(int g) {
        return chunks[g];
    }

    Entry file(int g) {
        return chunkFile[g];
    }

    CacheKey key(int g) {
        return keys[g];
    }

    int spanOf(int g) {
        return spanOfChunk[g];
    }

    int spanCount() {
        return spanStart.length;
    }

    long start(int span) {
        return spanStart[span];
    }

    long end(int span) {
        return spanEnd[span];
    }

    long length(int span) {
        return spanEnd[span] - spanStart[span];
    }

    /** How many chunks span {@code s} holds. */
    int chunksIn(int span) {
        return spanChunkFrom[span + 1] - spanChunkFrom[span];
    }

    /** Global number of the {@code i}-th chunk of span {@code s}, in inner-offset order. */
    int chunkOf(int span, int i) {
        return spanChunks[spanChunkFrom[span] + i];
    }

    /** Position of chunk {@code g} among its span's chunks. */
    int positionInSpan(int g) {
        int s = spanOfChunk[g];
        for (int i = spanChunkFrom[s]; i < spanChunkFrom[s + 1]; i++) {
            if (spanChunks[i] == g) {
                return i - spanChunkFrom[s];
            }
        }
        throw new IllegalStateException("chunk " + g + " is not in its span " + s);
    }

    /** Sum of all span lengths: the compressed bytes that hold file contents. */
    long spanBytes() {
        return spanBytes;
    }

    /** The first span starting at or after {@code offset}, or {@link #spanCount()}. */
    int firstSpanAtOrAfter(long offset) {
        int i = Arrays.binarySearch(spanStart, offset);
        return i >= 0 ? i : -i - 1;
    }
}
