package io.jstargz.estargz;

import io.jstargz.estargz.InvalidBlobException.Reason;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.zip.Inflater;

/**
 * Opens eStargz and legacy stargz blobs: reads the footer and the TOC and builds the {@link LayerIndex}.
 *
 * <p>Opening reads the last {@link OpenOptions#tailSize()} bytes (capped at the blob size) once; when the TOC lies
 * inside that tail, that single read is all it costs, otherwise exactly the TOC's gzip member is read next.
 */
public final class EstargzReader {
    /** Bytes the TOC member may inflate to after the JSON: tar padding and end-of-archive blocks. */
    private static final long MAX_TOC_TRAILER = 1 << 20;
    /** Bytes of tar headers (PAX records included) the TOC member may hold before the JSON. */
    private static final long MAX_TOC_HEADERS = 4 << 20;

    private EstargzReader() {
    }

    /** Opens a blob; throws {@link InvalidBlobException} if it is not a valid (e)stargz blob. */
    public static LayerIndex open(BlobSource blob, OpenOptions options) throws IOException {
        String layer = options.layerName();
        long size = blob.size();
        if (size < FooterKind.LEGACY.size()) {
            throw new InvalidBlobException(Reason.BAD_FOOTER, "layer " + layer + ": blob of " + size
                    + " bytes is smaller than any stargz footer");
        }
        int tailLength = (int) Math.min(options.tailSize(), size);
        long tailStart = size - tailLength;
        byte[] tail = blob.read(tailStart, tailLength);
        Footer footer = Footer.parse(tail, 0, tailLength, layer);
        long footerStart = size - footer.kind().size();
        long tocOffset = footer.tocOffset();
        if (tocOffset >= footerStart) {
            throw new InvalidBlobException(Reason.TOC_OUT_OF_RANGE, "layer " + layer + ": footer says the TOC is at "
                    + tocOffset + ", outside the blob payload [0, " + footerStart + ")");
        }
        long tocSize = footerStart - tocOffset;
        if (tocSize > options.maxTocSize()) {
            throw new InvalidBlobException(Reason.TOC_TOO_LARGE, "layer " + layer + ": the TOC is " + tocSize
                    + " bytes compressed, over the limit of " + options.maxTocSize());
        }
        byte[] tocBytes;
        int tocAt;
        if (tocOffset >= tailStart) {
            tocBytes = tail;
            tocAt = (int) (tocOffset - tailStart);
        } else {
            // Fetch only the part of the TOC member the tail read did not already bring.
            int head = (int) (tailStart - tocOffset);
            tocBytes = new byte[(int) tocSize];
            System.arraycopy(blob.read(tocOffset, head), 0, tocBytes, 0, head);
            System.arraycopy(tail, 0, tocBytes, head, (int) tocSize - head);
            tocAt = 0;
        }
        Toc toc = decodeToc(tocBytes, tocAt, (int) tocSize, options);
        if (options.expectedTocDigest() != null && !options.expectedTocDigest().equals(toc.digest())) {
            throw new InvalidBlobException(Reason.TOC_DIGEST_MISMATCH, "layer " + layer + ": TOC digest is "
                    + toc.digest() + ", expected " + options.expectedTocDigest());
        }
        List<TocEntry> entries = TocJsonParser.parse(toc.json(), layer);
        IndexBuilder.Meta meta = new IndexBuilder.Meta(layer, footer.kind(), size, tocOffset, tocSize, toc.digest());
        return IndexBuilder.build(entries, meta, options.maxChunkSize());
    }

    /**
     * True if the blob ends with a valid footer and TOC (e.g. a layer that needs no conversion). Only I/O errors
     * propagate; a blob that is not eStargz just answers false.
     */
    public static boolean isEstargz(BlobSource blob) throws IOException {
        try {
            open(blob, OpenOptions.defaults(blob.toString()));
            return true;
        } catch (InvalidBlobException e) {
            return false;
        }
    }

    /** The TOC JSON bytes and their digest. */
    record Toc(byte[] json, String digest) {
    }

    /** Decodes the TOC gzip member: one tar entry {@code stargz.index.json} holding the JSON. */
    static Toc decodeToc(byte[] buf, int off, int len, OpenOptions options) throws InvalidBlobException {
        String layer = options.layerName();
        Inflater inflater = new Inflater(true);
        try {
            GzipMember member = new GzipMember(buf, off, len, inflater);
            TarReader tar = new TarReader(new MemberStream(member, MAX_TOC_HEADERS));
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
            byte[] json = new byte[(int) h.size];
            member.readFully(json, 0, json.length);
            member.finish(MAX_TOC_TRAILER);
            MessageDigest sha = Digests.sha256();
            return new Toc(json, Digests.format(sha.digest(json)));
        } catch (InvalidBlobException e) {
            throw e;
        } catch (IOException e) {
            throw new InvalidBlobException(Reason.BAD_TOC, "layer " + layer + ": cannot decode the TOC: "
                    + e.getMessage(), e);
        } finally {
            inflater.end();
        }
    }

    /** A gzip member as an InputStream for the tar reader, which may read at most {@code limit} bytes of it. */
    private static final class MemberStream extends InputStream {
        private final GzipMember member;
        private long limit;

        MemberStream(GzipMember member, long limit) {
            this.member = member;
            this.limit = limit;
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
