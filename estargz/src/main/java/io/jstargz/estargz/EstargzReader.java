package io.jstargz.estargz;

import io.jstargz.estargz.InvalidBlobException.Reason;
import java.io.IOException;

/**
 * Opens blobs of every {@link BlobFormat}: reads the footer and the TOC (in the blob, or external) and builds the
 * {@link LayerIndex}.
 *
 * <p>Opening reads the last {@link OpenOptions#tailSize()} bytes (capped at the blob size) once; when the TOC lies
 * inside that tail, that single read is all it costs, otherwise exactly the TOC is read next. The TOC
 * is parsed as it inflates and indexed as it is parsed: one pass, with no copy of the JSON and no list of entries.
 */
public final class EstargzReader {
    /** TOC JSON bytes per entry, about: the first guess of how many entries to make room for. */
    private static final int BYTES_PER_ENTRY = 256;

    private EstargzReader() {
    }

    /** Opens a blob; throws {@link InvalidBlobException} if it is not a valid blob of any {@link BlobFormat}. */
    public static LayerIndex open(BlobSource blob, OpenOptions options) throws IOException {
        String layer = options.layerName();
        long size = blob.size();
        if (size < Footer.MIN_SIZE) {
            throw new InvalidBlobException(Reason.BAD_FOOTER, "layer " + layer + ": blob of " + size
                    + " bytes is smaller than any stargz footer");
        }
        int tailLength = (int) Math.min(options.tailSize(), size);
        long tailStart = size - tailLength;
        byte[] tail = blob.read(tailStart, tailLength);
        Footer footer = Footer.parse(tail, 0, tailLength, size, layer);
        byte[] tocBytes;
        int tocAt;
        if (footer.tocOffset() == Footer.EXTERNAL) {
            tocBytes = externalToc(options);
            tocAt = 0;
            footer = new Footer(footer.format(), Footer.EXTERNAL, tocBytes.length, footer.payloadEnd(), -1);
        } else {
            checkRange(footer, size, options);
            long tocOffset = footer.tocOffset();
            int tocSize = (int) footer.tocSize();
            if (tocOffset >= tailStart) {
                tocBytes = tail;
                tocAt = (int) (tocOffset - tailStart);
            } else {
                // Fetch only the part of the TOC the tail read did not already bring.
                int head = (int) Math.min(tailStart - tocOffset, tocSize);
                tocBytes = new byte[tocSize];
                System.arraycopy(blob.read(tocOffset, head), 0, tocBytes, 0, head);
                System.arraycopy(tail, 0, tocBytes, head, tocSize - head);
                tocAt = 0;
            }
        }
        try (TocStream toc = footer.format().openToc(tocBytes, tocAt, footer, options)) {
            IndexBuilder builder = new IndexBuilder(layer, (int) Math.min(1 << 20, toc.jsonSize() / BYTES_PER_ENTRY));
            InvalidBlobException invalid = null;
            try {
                TocJsonParser.parse(toc, layer, builder);
            } catch (InvalidBlobException e) {
                invalid = e; // a wrong digest says more than what is wrong inside: the whole TOC is read first
            } catch (IOException e) {
                throw TocStream.broken(layer, e);
            }
            String digest = toc.finish();
            if (options.expectedTocDigest() != null && !options.expectedTocDigest().equals(digest)) {
                throw new InvalidBlobException(Reason.TOC_DIGEST_MISMATCH, "layer " + layer + ": TOC digest is "
                        + digest + ", expected " + options.expectedTocDigest());
            }
            if (invalid != null) {
                throw invalid;
            }
            IndexBuilder.Meta meta = new IndexBuilder.Meta(layer, footer, size, digest);
            return builder.finish(meta, options.maxChunkSize());
        }
    }

    /** Checks that the TOC the footer locates lies inside the blob, before the footer, and within the limit. */
    private static void checkRange(Footer footer, long size, OpenOptions options) throws InvalidBlobException {
        String layer = options.layerName();
        long footerStart = size - footer.format().footerSize();
        long tocOffset = footer.tocOffset();
        long tocSize = footer.tocSize();
        if (tocOffset < 0 || tocSize <= 0 || tocOffset > footerStart - tocSize) {
            throw new InvalidBlobException(Reason.TOC_OUT_OF_RANGE, "layer " + layer + ": footer says the TOC is at "
                    + tocOffset + " (" + tocSize + " bytes), outside the blob payload [0, " + footerStart + ")");
        }
        if (tocSize > options.maxTocSize()) {
            throw new InvalidBlobException(Reason.TOC_TOO_LARGE, "layer " + layer + ": the TOC is " + tocSize
                    + " bytes compressed, over the limit of " + options.maxTocSize());
        }
    }

    /** The TOC of a blob whose footer says it is external, from the options' source. */
    private static byte[] externalToc(OpenOptions options) throws IOException {
        String layer = options.layerName();
        if (options.externalToc() == null) {
            throw new InvalidBlobException(Reason.MISSING_TOC, "layer " + layer + ": its TOC is external (in a"
                    + " separate TOC image), and no TOC image was given");
        }
        byte[] toc;
        try {
            toc = options.externalToc().fetch(options.maxTocSize());
        } catch (InvalidBlobException e) {
            throw e;
        } catch (IOException e) {
            throw new InvalidBlobException(Reason.MISSING_TOC, "layer " + layer + ": its TOC is external, and it"
                    + " could not be had: " + e.getMessage(), e);
        }
        if (toc.length > options.maxTocSize()) {
            throw new InvalidBlobException(Reason.TOC_TOO_LARGE, "layer " + layer + ": the external TOC is "
                    + toc.length + " bytes compressed, over the limit of " + options.maxTocSize());
        }
        return toc;
    }
}
