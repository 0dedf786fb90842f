package io.jstargz.estargz;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * One member of the stargz family: how its blobs end (the footer), how their TOC is stored, and how the spans that
 * hold file contents are compressed. Everything else (the TOC's entries, the index, verification, fetching) is the
 * same for all of them, so the rest of the project asks the blob's format and never assumes gzip.
 *
 * <p>The formats are the instances here, one class each; a blob's format is found from its footer
 * ({@link Footer#parse}), and an opened layer knows its own ({@link LayerIndex#format()}). They are made here only, so
 * that no subclass is initialised before this class.
 */
public abstract class BlobFormat {
    /** eStargz: gzip members, the TOC as a tar entry in the last member, the 51-byte RFC 1952 footer. */
    public static final BlobFormat ESTARGZ = new EstargzFormat();
    /** The original (CRFS) stargz: as eStargz, with a 47-byte footer and usually no chunk digests. */
    public static final BlobFormat LEGACY_STARGZ = new LegacyStargzFormat();
    /** eStargz whose TOC is a layer of a separate image ({@code <tag>-esgztoc}): a 46-byte footer says so. */
    public static final BlobFormat ESTARGZ_EXTERNAL_TOC = new ExternalTocFormat();
    /** zstd:chunked: zstd frames, the TOC JSON in a skippable frame, a 40-byte footer in another. */
    public static final BlobFormat ZSTD_CHUNKED = new ZstdChunkedFormat();

    /** Every format, in the order their footers are tried (zstd:chunked's magic is the surest). */
    static final List<BlobFormat> ALL = List.of(ZSTD_CHUNKED, ESTARGZ, ESTARGZ_EXTERNAL_TOC, LEGACY_STARGZ);

    BlobFormat() {
    }

    /** The largest footer of any format: how many tail bytes must be read to find any footer. */
    static int maxFooterSize() {
        return ALL.stream().mapToInt(BlobFormat::footerSize).max().orElseThrow();
    }

    /** The smallest footer of any format: a smaller blob is no stargz blob. */
    static int minFooterSize() {
        return ALL.stream().mapToInt(BlobFormat::footerSize).min().orElseThrow();
    }

    /** Its name, as users know it ({@code estargz}, {@code zstd:chunked}, {@code legacy stargz}, ...). */
    public abstract String name();

    /** Bytes its footer takes at the end of a blob. */
    public abstract int footerSize();

    /**
     * Reads this format's footer from {@code tail[off, off + len)}, which ends where the blob of {@code blobSize}
     * bytes ends and is at least {@link #footerSize()} long.
     *
     * @return the footer, or null when the bytes are not this format's footer; {@code problems} then says why
     */
    abstract Footer parseFooter(byte[] tail, int off, int len, long blobSize, StringBuilder problems);

    /**
     * Opens the TOC that {@code footer} locates, whose compressed bytes are {@code buf[off, off + footer.tocSize())}:
     * the returned stream gives the TOC JSON and its digest.
     */
    abstract TocStream openToc(byte[] buf, int off, Footer footer, OpenOptions options) throws InvalidBlobException;

    /** Decompresses a span (one or more compressed members or frames) held in {@code buf[off, off + len)}. */
    abstract DecodeStream openSpan(byte[] buf, int off, int len) throws IOException;

    /**
     * The bytes the span in {@code buf[off, off + len)} (exactly its members or frames) decompresses to, all at once,
     * where this format has a faster way to get them than {@link #openSpan}; {@code needed} of them at least are
     * wanted. Null to stream the span instead, which is always right.
     */
    byte[] decompressWhole(byte[] buf, int off, int len, long needed) {
        return null;
    }

    /**
     * The most uncompressed bytes one compressed byte can stand for: a chunk claiming more than its span's length
     * times this is a lie, refused before anything is decompressed.
     */
    abstract long maxExpansion();

    /**
     * The codec of this format's members at compression {@code level} (checked, the range is the format's),
     * compressing members as streams if {@code streaming} (see {@link MemberCodec#streaming()}).
     */
    abstract MemberCodec codec(int level, boolean streaming);

    /** The compression level the reference writes this format with. */
    public abstract int defaultCompressionLevel();

    /**
     * What writing a TOC gave besides the blob.
     *
     * @param annotations the annotations the format adds to the layer's descriptor (zstd:chunked's)
     * @param externalToc the compressed TOC when it is not in the blob (an external TOC), else null
     */
    record TocWritten(Map<String, String> annotations, byte[] externalToc) {
    }

    /** Ends a blob whose payload {@code w} has written (and flushed): writes the TOC of {@code json} and the footer. */
    abstract TocWritten writeToc(ParallelMemberWriter w, byte[] json) throws IOException;

    @Override
    public String toString() {
        return name();
    }
}
