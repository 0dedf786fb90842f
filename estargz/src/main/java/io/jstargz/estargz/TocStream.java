package io.jstargz.estargz;

import io.jstargz.estargz.InvalidBlobException.Reason;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.zip.Inflater;

/**
 * The TOC's gzip member, read as it inflates: the tar header of {@code stargz.index.json} is checked, then the JSON
 * is handed out as a stream, its SHA-256 taken on the way, so the index is built while the member inflates and the
 * whole JSON is never held. {@link #finish()} reads what the parser left, checks the gzip trailer and gives the TOC
 * digest. Read errors of the member itself are plain {@link IOException}s (the caller calls them a broken TOC).
 */
final class TocStream extends InputStream {
    /** Bytes the TOC member may inflate to after the JSON: tar padding and end-of-archive blocks. */
    private static final long MAX_TOC_TRAILER = 1 << 20;
    /** Bytes of tar headers (PAX records included) the TOC member may hold before the JSON. */
    private static final long MAX_TOC_HEADERS = 4 << 20;

    private final Inflater inflater;
    private final GzipMember member;
    private final MessageDigest sha = Digests.sha256();
    private final String layer;
    private final long size;
    private long left;

    private TocStream(Inflater inflater, GzipMember member, String layer, long size) {
        this.inflater = inflater;
        this.member = member;
        this.layer = layer;
        this.size = size;
        this.left = size;
    }

    /** Opens the TOC member at {@code buf[off, off + len)} and reads up to the JSON. */
    static TocStream open(byte[] buf, int off, int len, OpenOptions options) throws InvalidBlobException {
        String layer = options.layerName();
        Inflater inflater = new Inflater(true);
        try {
            GzipMember member = new GzipMember(buf, off, len, inflater);
            TarReader tar = new TarReader(new HeaderStream(member));
            TarHeader h = tar.next();
            if (h == null) {
                throw new InvalidBlobException(Reason.BAD_TOC, "layer " + layer
                        + ": the TOC member holds no tar entry");
            }
            String name = new String(h.name, StandardCharsets.ISO_8859_1);
            if (!name.equals(Landmarks.TOC_TAR_NAME)) {
                throw new InvalidBlobException(Reason.BAD_TOC, "layer " + layer + ": the TOC tar entry is named "
                        + GoStrings.quote(h.displayName()) + ", not " + Landmarks.TOC_TAR_NAME);
            }
            if (h.size > options.maxTocJsonSize()) {
                throw new InvalidBlobException(Reason.TOC_TOO_LARGE, "layer " + layer + ": the TOC JSON is " + h.size
                        + " bytes, over the limit of " + options.maxTocJsonSize());
            }
            return new TocStream(inflater, member, layer, h.size);
        } catch (InvalidBlobException e) {
            inflater.end();
            throw e;
        } catch (IOException e) {
            inflater.end();
            throw broken(layer, e);
        }
    }

    /** The TOC is broken: {@code e} says how. */
    static InvalidBlobException broken(String layer, IOException e) {
        return new InvalidBlobException(Reason.BAD_TOC, "layer " + layer + ": cannot decode the TOC: "
                + e.getMessage(), e);
    }

    /** Bytes of TOC JSON, as its tar header says. */
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
        int n = member.read(b, off, (int) Math.min(len, left));
        if (n < 0) {
            throw new EOFException("gzip member ended after " + member.produced() + " bytes, " + left
                    + " bytes of TOC JSON short");
        }
        sha.update(b, off, n);
        left -= n;
        return n;
    }

    /** Reads the rest of the JSON and of the member, checks its trailer, and returns the JSON's digest. */
    String finish() throws InvalidBlobException {
        try {
            byte[] scratch = new byte[8192];
            int n;
            do {
                n = read(scratch, 0, scratch.length); // digested, nothing else to do with it
            } while (n >= 0);
            member.finish(MAX_TOC_TRAILER);
        } catch (IOException e) {
            throw broken(layer, e);
        }
        return Digests.format(sha.digest());
    }

    @Override
    public void close() {
        inflater.end();
    }

    /** The member as the tar reader sees it: it may read at most {@link #MAX_TOC_HEADERS} bytes of headers. */
    private static final class HeaderStream extends InputStream {
        private final GzipMember member;
        private long limit = MAX_TOC_HEADERS;

        HeaderStream(GzipMember member) {
            this.member = member;
        }

        @Override
        public int read() throws IOException {
            byte[] b = new byte[1];
            return read(b, 0, 1) < 0 ? -1 : b[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (limit <= 0) {
                throw new IOException("more than " + MAX_TOC_HEADERS + " bytes of tar headers before the TOC JSON");
            }
            int n = member.read(b, off, (int) Math.min(len, limit));
            limit -= Math.max(n, 0);
            return n;
        }
    }
}
