package io.jstargz.estargz;

import java.io.IOException;
import java.security.MessageDigest;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.zip.Inflater;

/**
 * Turns the compressed bytes of a chunk's span into the chunk's verified bytes: gunzip, skip {@code innerOffset},
 * read exactly {@code size} bytes, check their SHA-256 against the chunk digest. Anything else is a
 * {@link ChunkVerificationException}; unverified bytes never leave this class. Thread-safe; it keeps a few
 * {@link Inflater}s for reuse.
 */
public final class ChunkDecoder {
    private static final int POOLED_INFLATERS = 16;

    private final LayerIndex index;
    private final BlockingQueue<Inflater> inflaters = new ArrayBlockingQueue<>(POOLED_INFLATERS);

    /** A decoder of {@code index}'s chunks. */
    ChunkDecoder(LayerIndex index) {
        this.index = index;
    }

    /** Decodes a chunk from {@code span}, which holds exactly its blob range {@code [blobOffset, blobEnd)}. */
    public byte[] decode(Entry file, Chunk chunk, byte[] span) throws ChunkVerificationException {
        return decode(file, chunk, span, 0, span.length);
    }

    /**
     * Decodes a chunk from {@code buf[off, off + len)}, which starts at the chunk's {@code blobOffset} and holds at
     * least its gzip member (e.g. a larger prefetched range sliced at the chunk).
     */
    public byte[] decode(Entry file, Chunk chunk, byte[] buf, int off, int len) throws ChunkVerificationException {
        byte[] expected = Digests.parseSha256(chunk.digest());
        if (expected == null) {
            throw fail((int) file.inode(), chunk.fileOffset(), chunk.size(), "has no valid sha256 digest ("
                    + chunk.digest() + ")", null);
        }
        return decode((int) file.inode(), chunk.fileOffset(), chunk.size(), chunk.innerOffset(), chunk.blobOffset(),
                chunk.blobEnd(), expected, buf, off, len);
    }

    /**
     * Decodes chunk {@code g} of the index's {@link ChunkTable} from {@code buf[off, off + len)}, which starts at its
     * span and holds at least that span.
     */
    public byte[] decode(int g, byte[] buf, int off, int len) throws ChunkVerificationException {
        ChunkTable t = index.chunks();
        int s = t.spanOf(g);
        return decode(t.file(g), t.fileOffset(g), t.size(g), t.innerOffset(g), t.spanStart(s), t.spanEnd(s),
                t.digestBytes(g), buf, off, len);
    }

    private byte[] decode(int inode, long fileOffset, long size, long innerOffset, long blobOffset, long blobEnd,
                          byte[] expected, byte[] buf, int off, int len) throws ChunkVerificationException {
        if (size > Integer.MAX_VALUE - 16) {
            throw fail(inode, fileOffset, size, "is too large to decode (" + size + " bytes)", null);
        }
        Inflater inflater = inflaters.poll();
        if (inflater == null) {
            inflater = new Inflater(true);
        }
        byte[] out = new byte[(int) size];
        try {
            GzipMember member = new GzipMember(buf, off, len, inflater);
            member.skipFully(innerOffset);
            member.readFully(out, 0, out.length);
        } catch (IOException e) {
            throw fail(inode, fileOffset, size, "cannot be decompressed from blob range [" + blobOffset + ", "
                    + blobEnd + "): " + e.getMessage(), e);
        } finally {
            if (!inflaters.offer(inflater)) {
                inflater.end();
            }
        }
        MessageDigest sha = Digests.sha256();
        byte[] actual = sha.digest(out);
        if (!MessageDigest.isEqual(expected, actual)) {
            throw fail(inode, fileOffset, size, "does not match its digest: TOC says " + Digests.format(expected)
                    + ", content is " + Digests.format(actual), null);
        }
        return out;
    }

    private ChunkVerificationException fail(int inode, long fileOffset, long size, String problem, Throwable cause) {
        String what = "chunk of " + size + " bytes " + problem;
        String path = index.directories().path(inode);
        return cause == null ? new ChunkVerificationException(index.layerName(), path, fileOffset, what)
                : new ChunkVerificationException(index.layerName(), path, fileOffset, what, cause);
    }
}
