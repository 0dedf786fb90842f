package io.jstargz.estargz;

import io.jstargz.estargz.InvalidBlobException.Reason;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/**
 * The TOC JSON as it decompresses, its SHA-256 taken on the way, so the index is built while the TOC inflates and
 * the whole JSON is never held. The blob's {@link BlobFormat} opens it at the JSON's first byte; {@link #finish()}
 * reads what the parser left, lets the format check what follows the JSON (a gzip trailer, a zstd checksum) and gives
 * the TOC digest. Read errors of the compressed TOC itself are plain {@link IOException}s (the caller calls them a
 * broken TOC).
 */
final class TocStream extends InputStream {
    private final DecodeStream source;
    private final MessageDigest sha = Digests.sha256();
    private final String layer;
    private final long size;
    private final long trailerLimit;
    private long left;

    private TocStream(DecodeStream source, String layer, long size, long trailerLimit) {
        this.source = source;
        this.layer = layer;
        this.size = size;
        this.left = size;
        this.trailerLimit = trailerLimit;
    }

    /**
     * The TOC JSON of {@code size} bytes that {@code source} gives next, followed by at most {@code trailerLimit}
     * decompressed bytes; the size is checked against the options' limit.
     */
    static TocStream of(DecodeStream source, long size, long trailerLimit, OpenOptions options)
            throws InvalidBlobException {
        if (size > options.maxTocJsonSize()) {
            throw new InvalidBlobException(Reason.TOC_TOO_LARGE, "layer " + options.layerName() + ": the TOC JSON is "
                    + size + " bytes, over the limit of " + options.maxTocJsonSize());
        }
        return new TocStream(source, options.layerName(), size, trailerLimit);
    }

    /** The TOC is broken: {@code e} says how. */
    static InvalidBlobException broken(String layer, IOException e) {
        return new InvalidBlobException(Reason.BAD_TOC, "layer " + layer + ": cannot decode the TOC: "
                + e.getMessage(), e);
    }

    /** Bytes of TOC JSON. */
    long jsonSize() {
        return size;
    }

    @Override
    public int read() throws IOException {
        byte[] b = new byte[1];
        return read(b, 0, 1) < 0 ? -1 : b[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (left == 0) {
            return -1;
        }
        int n = source.read(b, off, (int) Math.min(len, left));
        if (n < 0) {
            throw new EOFException("the compressed TOC ended " + left + " bytes short of its " + size
                    + " bytes of JSON");
        }
        sha.update(b, off, n);
        left -= n;
        return n;
    }

    /** Reads the rest of the JSON and of the compressed TOC, checks its end, and returns the JSON's digest. */
    String finish() throws InvalidBlobException {
        try {
            byte[] scratch = new byte[8192];
            int n;
            do {
                n = read(scratch, 0, scratch.length); // digested, nothing else to do with it
            } while (n >= 0);
            source.finish(trailerLimit);
        } catch (IOException e) {
            throw broken(layer, e);
        }
        return Digests.format(sha.digest());
    }

    @Override
    public void close() {
        source.close();
    }
}
