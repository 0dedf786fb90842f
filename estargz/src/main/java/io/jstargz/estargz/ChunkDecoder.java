package io.jstargz.estargz;

import java.io.IOException;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * Turns the compressed bytes of a span into its chunks' verified bytes: decompress with the layer's
 * {@link BlobFormat}, take each chunk at its {@code innerOffset}, check its SHA-256 against the chunk digest (or, for
 * a file without chunk digests, check all its chunks together against the file's digest). Anything else is a
 * {@link ChunkVerificationException}; unverified bytes never leave this class. Thread-safe.
 */
public final class ChunkDecoder {
    private final LayerIndex index;
    private final BlobFormat format;

    /** A decoder of {@code index}'s chunks. */
    ChunkDecoder(LayerIndex index) {
        this.index = index;
        this.format = index.format();
    }

    /**
     * Decodes every chunk of span {@code s} from {@code buf[off, off + len)}, which starts at the span and holds at
     * least all of it (e.g. a larger prefetched range sliced at the span): one pass over the span however many
     * chunks it packs. Element {@code i} is the span's {@code i}-th chunk, global number
     * {@code spanFirstChunk(s) + i}.
     */
    public byte[][] decodeSpan(int s, byte[] buf, int off, int len) throws ChunkVerificationException {
        ChunkTable t = index.chunks();
        int first = t.spanFirstChunk(s);
        byte[][] out = decompressedWhole(s, buf, off, len);
        if (out == null) {
            out = streamed(s, buf, off, len);
        }
        if (t.verifiedWhole(s)) {
            verifyWhole(first, out);
        } else {
            for (int g = first; g < first + out.length; g++) {
                verify(g, out[g - first]);
            }
        }
        return out;
    }

    /** The chunks of span {@code s}, cut from its bytes decompressed at once; null where the format streams. */
    private byte[][] decompressedWhole(int s, byte[] buf, int off, int len) {
        ChunkTable t = index.chunks();
        int first = t.spanFirstChunk(s);
        byte[][] out = new byte[t.spanChunkCount(s)][];
        long needed = 0;
        for (int g = first; g < first + out.length; g++) {
            needed = Math.max(needed, t.innerOffset(g) + t.size(g));
        }
        byte[] whole = format.decompressWhole(buf, off, (int) Math.min(len, t.spanEnd(s) - t.spanStart(s)), needed);
        if (whole == null || whole.length < needed) {
            return null;
        }
        for (int g = first; g < first + out.length; g++) {
            int from = (int) t.innerOffset(g);
            int to = (int) (from + t.size(g));
            out[g - first] = from == 0 && to == whole.length ? whole : Arrays.copyOfRange(whole, from, to);
        }
        return out;
    }

    /** The chunks of span {@code s}, read from the span as a stream: one pass however many chunks it packs. */
    private byte[][] streamed(int s, byte[] buf, int off, int len) throws ChunkVerificationException {
        ChunkTable t = index.chunks();
        int first = t.spanFirstChunk(s);
        byte[][] out = new byte[t.spanChunkCount(s)][];
        long at = 0;
        int g = first;
        DecodeStream in = null;
        try {
            for (; g < first + out.length; g++) {
                if (in == null || t.innerOffset(g) < at) {
                    // chunks may overlap in a hostile TOC: start the span again rather than read backwards
                    close(in);
                    in = format.openSpan(buf, off, len);
                    at = 0;
                }
                out[g - first] = read(in, g, at);
                at = t.innerOffset(g) + out[g - first].length;
            }
        } catch (ChunkVerificationException e) {
            throw e;
        } catch (IOException e) {
            throw fail(g, "cannot be decompressed from blob range [" + t.spanStart(s) + ", " + t.spanEnd(s) + "): "
                    + e.getMessage(), e);
        } finally {
            close(in);
        }
        return out;
    }

    private static void close(DecodeStream in) {
        if (in != null) {
            in.close();
        }
    }

    /** Reads chunk {@code g} from {@code in}, which has given {@code at} bytes of its span so far. */
    private byte[] read(DecodeStream in, int g, long at) throws IOException, ChunkVerificationException {
        ChunkTable t = index.chunks();
        long size = t.size(g);
        if (size > Integer.MAX_VALUE - 16) {
            throw fail(g, "is too large to decode", null);
        }
        in.skipFully(t.innerOffset(g) - at);
        byte[] out = new byte[(int) size];
        in.readFully(out, 0, out.length);
        return out;
    }

    private void verify(int g, byte[] data) throws ChunkVerificationException {
        byte[] expected = index.chunks().digestBytes(g);
        byte[] actual = Digests.sha256().digest(data);
        if (!MessageDigest.isEqual(expected, actual)) {
            throw fail(g, "does not match its digest: TOC says " + Digests.format(expected) + ", content is "
                    + Digests.format(actual), null);
        }
    }

    /** Checks the chunks of a file verified whole, {@code first} the first, against the file's digest. */
    private void verifyWhole(int first, byte[][] chunks) throws ChunkVerificationException {
        int file = index.chunks().file(first);
        byte[] expected = index.inodes().digests.get(file);
        MessageDigest sha = Digests.sha256();
        for (byte[] c : chunks) {
            sha.update(c);
        }
        byte[] actual = sha.digest();
        if (!MessageDigest.isEqual(expected, actual)) {
            throw new ChunkVerificationException(index.layerName(), index.directories().path(file), 0,
                    "the file has no chunk digests, and its " + chunks.length + " chunks together do not match its"
                            + " digest: TOC says " + Digests.format(expected) + ", content is "
                            + Digests.format(actual));
        }
    }

    private ChunkVerificationException fail(int g, String problem, Throwable cause) {
        ChunkTable t = index.chunks();
        String what = "chunk of " + t.size(g) + " bytes " + problem;
        String path = index.directories().path(t.file(g));
        long fileOffset = t.fileOffset(g);
        return cause == null ? new ChunkVerificationException(index.layerName(), path, fileOffset, what)
                : new ChunkVerificationException(index.layerName(), path, fileOffset, what, cause);
    }
}
