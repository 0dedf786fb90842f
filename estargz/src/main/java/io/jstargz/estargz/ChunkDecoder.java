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

    private final String layer;
    private final BlockingQueue<Inflater> inflaters = new ArrayBlockingQueue<>(POOLED_INFLATERS);

    /** A decoder whose errors name {@code layer}. */
    public ChunkDecoder(String layer) {
        this.layer = layer;
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
            throw fail(file, chunk, "has no valid sha256 digest (" + chunk.digest() + ")", null);
        }
        if (chunk.size() > Integer.MAX_VALUE - 16) {
            throw fail(file, chunk, "is too large to decode (" + chunk.size() + " bytes)", null);
        }
        Inflater inflater = inflaters.poll();
        if (inflater == null) {
            inflater = new Inflater(true);
        }
        byte[] out = new byte[(int) chunk.size()];
        try {
            GzipMember member = new GzipMember(buf, off, len, inflater);
            member.skipFully(chunk.innerOffset());
            member.readFully(out, 0, out.length);
        } catch (IOException e) {
            throw fail(file, chunk, "cannot be decompressed from blob range [" + chunk.blobOffset() + ", "
                    + chunk.blobEnd() + "): " + e.getMessage(), e);
        } finally {
            if (!inflaters.offer(inflater)) {
                inflater.end();
            }
        }
        MessageDigest sha = Digests.sha256();
        byte[] actual = sha.digest(out);
        if (!MessageDigest.isEqual(expected, actual)) {
            throw fail(file, chunk, "does not match its digest: TOC says " + chunk.digest() + ", content is "
                    + Digests.format(actual), null);
        }
        return out;
    }

    private ChunkVerificationException fail(Entry file, Chunk chunk, String problem, Throwable cause) {
        String what = "chunk of " + chunk.size() + " bytes " + problem;
        return cause == null ? new ChunkVerificationException(layer, file.path(), chunk.fileOffset(), what)
                : new ChunkVerificationException(layer, file.path(), chunk.fileOffset(), what, cause);
    }
}
