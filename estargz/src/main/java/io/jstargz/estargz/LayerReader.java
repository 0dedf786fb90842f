package io.jstargz.estargz;

import java.io.IOException;

/**
 * Reads verified file content from a blob it can reach itself (a local file, or any {@link BlobSource}): for local
 * use, the CLI and tests. Only the spans holding the requested range are read and decompressed. The FUSE read
 * path fetches spans through its own cache instead and uses {@link ChunkDecoder} directly.
 */
public final class LayerReader {
    private final BlobSource blob;
    private final LayerIndex index;
    private int lastSpan = -1;
    private byte[][] lastChunks;

    public LayerReader(BlobSource blob, LayerIndex index) {
        this.blob = blob;
        this.index = index;
    }

    public LayerIndex index() {
        return index;
    }

    /**
     * The verified bytes of chunk {@code i} of a file. The chunks of the span read last are kept, so reading a
     * packed span's files, or a file verified whole chunk by chunk, reads and decodes the span once.
     */
    public synchronized byte[] readChunk(Entry file, int i) throws IOException {
        ChunkTable t = index.chunks();
        int g = file.firstChunk() + i;
        int s = t.spanOf(g);
        if (s != lastSpan) {
            long span = t.spanLength(s);
            if (span > Integer.MAX_VALUE - 16) {
                throw new ChunkVerificationException(index.layerName(), file.path(), t.fileOffset(g),
                        "compressed span of " + span + " bytes is too large to read");
            }
            byte[] compressed = blob.read(t.spanStart(s), (int) span);
            lastChunks = index.decoder().decodeSpan(s, compressed, 0, compressed.length);
            lastSpan = s;
        }
        return lastChunks[g - t.spanFirstChunk(s)];
    }

    /**
     * Reads up to {@code length} verified bytes of a regular file starting at {@code offset}; fewer at the end of
     * the file, none past it.
     */
    public byte[] read(Entry file, long offset, int length) throws IOException {
        if (!file.isRegular()) {
            throw new IllegalArgumentException(file + " is not a regular file");
        }
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("negative offset or length");
        }
        long end = Math.min(file.size(), offset + length);
        if (offset >= end) {
            return new byte[0];
        }
        byte[] out = new byte[(int) (end - offset)];
        for (int i = file.chunkIndexAt(offset); i >= 0 && i < file.chunkCount(); i++) {
            Chunk c = file.chunk(i);
            if (c.fileOffset() >= end) {
                break;
            }
            byte[] data = readChunk(file, i);
            long from = Math.max(offset, c.fileOffset());
            long to = Math.min(end, c.fileEnd());
            System.arraycopy(data, (int) (from - c.fileOffset()), out, (int) (from - offset), (int) (to - from));
        }
        return out;
    }
}
