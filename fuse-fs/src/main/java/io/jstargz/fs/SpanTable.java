package io.jstargz.fs;

import io.jstargz.cache.CacheKey;
import io.jstargz.estargz.ChunkTable;
import io.jstargz.estargz.Entry;
import io.jstargz.estargz.LayerIndex;

/**
 * The read path's view of a layer's chunks and the compressed spans that hold them: the index's {@link ChunkTable}
 * (built once with the index, shared by every mount of the layer; nothing is copied per mount), with the chunk cache's
 * keys.
 *
 * <p>A <em>span</em> is one compressed member (a gzip member, a zstd frame), {@code [start, end)}: the unit of
 * fetching and verifying. It usually holds one chunk; with {@code innerOffset} packing it holds several small files,
 * and a legacy file without chunk digests is one span over all its members. Spans are numbered in blob order: the
 * span after {@code s} in the blob is {@code s + 1}. Chunks have a global number: a file's chunks are numbered
 * consecutively in file order, from {@link #firstChunk(Entry)}; a span's chunks are consecutive too.
 */
final class SpanTable {
    private final LayerIndex index;
    private final ChunkTable chunks;

    SpanTable(LayerIndex index) {
        this.index = index;
        this.chunks = index.chunks();
    }

    /** Global number of a regular file's first chunk. */
    int firstChunk(Entry file) {
        return chunks.firstChunk(file.inode());
    }

    /** The file chunk {@code g} belongs to. */
    Entry file(int g) {
        return index.entry(chunks.file(g));
    }

    /** Offset in its file of chunk {@code g}. */
    long fileOffset(int g) {
        return chunks.fileOffset(g);
    }

    /** Offset in its file just past chunk {@code g}. */
    long fileEnd(int g) {
        return chunks.fileEnd(g);
    }

    /** The cache key of chunk {@code g}: its digest (made on each call rather than held for every chunk). */
    CacheKey key(int g) {
        return CacheKey.ofDigest(chunks.digest(g));
    }

    int spanOf(int g) {
        return chunks.spanOf(g);
    }

    int spanCount() {
        return chunks.spanCount();
    }

    long start(int span) {
        return chunks.spanStart(span);
    }

    long end(int span) {
        return chunks.spanEnd(span);
    }

    long length(int span) {
        return chunks.spanLength(span);
    }

    /** How many chunks span {@code s} holds. */
    int chunksIn(int span) {
        return chunks.spanChunkCount(span);
    }

    /** Global number of the {@code i}-th chunk of span {@code s}, in inner-offset order. */
    int chunkOf(int span, int i) {
        return chunks.spanFirstChunk(span) + i;
    }

    /** Position of chunk {@code g} among its span's chunks. */
    int positionInSpan(int g) {
        return g - chunks.spanFirstChunk(chunks.spanOf(g));
    }

    /**
     * What fetching span {@code s} holds in memory until its chunks are cached: its compressed bytes and the chunks
     * decoded from them ({@link FetchMemory}).
     */
    long fetchBytes(int span) {
        long bytes = length(span);
        for (int i = 0; i < chunksIn(span); i++) {
            int g = chunkOf(span, i);
            bytes += fileEnd(g) - fileOffset(g);
        }
        return bytes;
    }

    /** Sum of all span lengths: the compressed bytes that hold file contents. */
    long spanBytes() {
        return chunks.spanBytes();
    }

    /** The first span starting at or after {@code offset}, or {@link #spanCount()}. */
    int firstSpanAtOrAfter(long offset) {
        return chunks.firstSpanAtOrAfter(offset);
    }
}
