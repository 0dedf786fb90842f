package io.jstargz.estargz;

/**
 * Where a blob's footer says its TOC is.
 *
 * @param format      the blob's format, known from its footer
 * @param tocOffset   where the TOC starts in the blob (its compressed bytes, with any frame header before them), or
 *                    {@link #EXTERNAL}
 * @param tocSize     compressed size of the TOC, from {@code tocOffset}
 * @param payloadEnd  where the compressed file contents end: the last span ends here
 * @param tocJsonSize the TOC JSON's size when the footer says it (zstd:chunked), else -1
 */
public record Footer(BlobFormat format, long tocOffset, long tocSize, long payloadEnd, long tocJsonSize) {

    /** The {@link #tocOffset()} of a TOC that is not in the blob (an external TOC). */
    public static final long EXTERNAL = -1;

    /** Size of the largest footer, i.e. how many tail bytes must be read to find any footer. */
    public static final int MAX_SIZE = BlobFormat.maxFooterSize();
    /** Size of the smallest footer: no stargz blob is smaller. */
    public static final int MIN_SIZE = BlobFormat.minFooterSize();

    /**
     * Parses the footer from the last bytes of a blob of {@code blobSize} bytes: {@code tail[off, off + len)} must
     * end where the blob ends. Each format's footer is tried in turn; the TOC it locates is checked to lie inside the
     * blob, before the footer.
     */
    public static Footer parse(byte[] tail, int off, int len, long blobSize, String layer)
            throws InvalidBlobException {
        if (len < MIN_SIZE) {
            throw new InvalidBlobException(InvalidBlobException.Reason.BAD_FOOTER, "layer " + layer + ": blob of "
                    + len + " bytes is smaller than any stargz footer (" + MIN_SIZE + " bytes)");
        }
        StringBuilder problems = new StringBuilder();
        for (BlobFormat format : BlobFormat.ALL) {
            if (problems.length() > 0) {
                problems.append("; ");
            }
            problems.append(format.name()).append(": ");
            if (len < format.footerSize()) {
                problems.append("blob is smaller than ").append(format.footerSize()).append(" bytes");
                continue;
            }
            Footer footer = format.parseFooter(tail, off, len, blobSize, problems);
            if (footer != null) {
                return footer;
            }
        }
        throw new InvalidBlobException(InvalidBlobException.Reason.BAD_FOOTER, "layer " + layer
                + ": no stargz footer at the end of the blob (" + problems + ")");
    }

    /** The 51 bytes of an eStargz footer pointing at {@code tocOffset}, exactly as the reference writes them. */
    public static byte[] estargz(long tocOffset) {
        return EstargzFormat.bytes(tocOffset);
    }
}
