package io.jstargz.estargz;

import io.jstargz.estargz.InvalidBlobException.Reason;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.zip.Inflater;

/**
 * What eStargz (with its TOC inside or external) and legacy stargz share: file contents in gzip members, the TOC as
 * the tar entry {@code stargz.index.json} in a gzip member (the blob's last, or a blob of its own), and a footer that
 * is itself an empty gzip member whose extra field says where the TOC is ({@code %016xSTARGZ}, or that it is
 * external). They differ only in how that extra field is laid out.
 */
abstract sealed class GzipFormat extends BlobFormat permits EstargzFormat, ExternalTocFormat, LegacyStargzFormat {
    /** Deflate cannot expand by more than about 1032:1. */
    private static final long MAX_EXPANSION = 1032;
    /** Bytes the TOC member may inflate to after the JSON: tar padding and end-of-archive blocks. */
    private static final long MAX_TOC_TRAILER = 1 << 20;
    /** Bytes of tar headers (PAX records included) the TOC member may hold before the JSON. */
    private static final long MAX_TOC_HEADERS = 4 << 20;
    private static final int POOLED_INFLATERS = 32;
    private static final byte[] MAGIC = "STARGZ".getBytes(StandardCharsets.US_ASCII);
    private static final int HEX_DIGITS = 16;
    static final int FLG_FEXTRA = 0x04;

    /** Inflaters are costly to make (native memory): spans of every layer share a few. */
    private static final BlockingQueue<Inflater> INFLATERS = new ArrayBlockingQueue<>(POOLED_INFLATERS);

    private final String name;
    private final int footerSize;
    private final int extraLength;

    /**
     * @param name        for messages and {@code blob inspect}
     * @param footerSize  bytes of the footer member
     * @param extraLength bytes of its gzip extra field (XLEN)
     */
    GzipFormat(String name, int footerSize, int extraLength) {
        this.name = name;
        this.footerSize = footerSize;
        this.extraLength = extraLength;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final int footerSize() {
        return footerSize;
    }

    @Override
    final Footer parseFooter(byte[] tail, int off, int len, long blobSize, StringBuilder problems) {
        int start = off + len - footerSize;
        String problem = gzipHeaderProblem(tail, start, extraLength);
        if (problem != null) {
            problems.append(problem);
            return null;
        }
        return parseExtra(tail, start + 12, blobSize, problems);
    }

    /**
     * The footer its gzip extra field at {@code tail[extra]} describes, or null with the problem appended: the one
     * thing the formats of this family lay out differently.
     */
    abstract Footer parseExtra(byte[] tail, int extra, long blobSize, StringBuilder problems);

    @Override
    final long maxExpansion() {
        return MAX_EXPANSION;
    }

    /** The footer's problem, if {@code b[start..]} does not start a gzip header with FEXTRA of {@code xlen} bytes. */
    private static String gzipHeaderProblem(byte[] b, int start, int xlen) {
        if ((b[start] & 0xff) != 0x1f || (b[start + 1] & 0xff) != 0x8b || b[start + 2] != 8) {
            return "no gzip header";
        }
        if ((b[start + 3] & FLG_FEXTRA) == 0) {
            return "gzip header has no extra field";
        }
        int actual = (b[start + 10] & 0xff) | (b[start + 11] & 0xff) << 8;
        if (actual != xlen) {
            return "extra field is " + actual + " bytes, not " + xlen;
        }
        return null;
    }

    /** The value of {@code %016xSTARGZ} at {@code b[at]}, or -1 if it is not there. */
    static long parseOffset(byte[] b, int at) {
        for (int i = 0; i < MAGIC.length; i++) {
            if (b[at + HEX_DIGITS + i] != MAGIC[i]) {
                return -1;
            }
        }
        long value = 0;
        for (int i = 0; i < HEX_DIGITS; i++) {
            int d = Character.digit(b[at + i], 16);
            if (d < 0) {
                return -1;
            }
            value = value << 4 | d;
        }
        return value;
    }

    /** {@code %016xSTARGZ} of {@code tocOffset}, into {@code b[at]}. */
    static void putOffset(byte[] b, int at, long tocOffset) {
        byte[] hex = String.format("%016x", tocOffset).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(hex, 0, b, at, HEX_DIGITS);
        System.arraycopy(MAGIC, 0, b, at + HEX_DIGITS, MAGIC.length);
    }

    /** The footer of a TOC at {@code tocOffset} (or null, with the problem, when the offset is not valid hex). */
    final Footer footer(long tocOffset, long blobSize, StringBuilder problems) {
        if (tocOffset < 0) {
            problems.append("extra field is not %016xSTARGZ");
            return null;
        }
        return new Footer(this, tocOffset, blobSize - footerSize() - tocOffset, tocOffset, -1);
    }

    @Override
    final MemberCodec codec(int level, boolean streaming) {
        return new GzipCodec(level, streaming);
    }

    @Override
    public final int defaultCompressionLevel() {
        return ConvertOptions.DEFAULT_COMPRESSION_LEVEL;
    }

    /** The footer pointing at a TOC at {@code tocOffset}. */
    abstract byte[] footer(long tocOffset);

    @Override
    final TocWritten writeToc(ParallelMemberWriter w, byte[] json) throws IOException {
        ByteBuf tar = new ByteBuf(json.length + 4 * TarReader.BLOCK);
        tar.append(GoTarWriter.encode(TarHeader.regular(Landmarks.TOC_TAR_NAME, json.length)));
        tar.append(json);
        tar.append(new byte[(-json.length & (TarReader.BLOCK - 1)) + 2 * TarReader.BLOCK]);
        if (!tocInBlob()) {
            // the TOC member goes to its own image; the layer (and its diffID) ends with the payload
            byte[] member = w.compressAside(tar.toByteArray());
            w.writeRaw(footer(Footer.EXTERNAL));
            return new TocWritten(Map.of(), member);
        }
        long tocOffset = w.compressedSize();
        w.newMember(null);
        w.write(tar.array(), 0, tar.size());
        w.flush();
        w.writeRaw(footer(tocOffset));
        return new TocWritten(Map.of(), null);
    }

    /** Whether the TOC member is in the blob, before the footer (not for an external TOC). */
    boolean tocInBlob() {
        return true;
    }

    @Override
    final TocStream openToc(byte[] buf, int off, Footer footer, OpenOptions options) throws InvalidBlobException {
        String layer = options.layerName();
        GzipSpan member = new GzipSpan(buf, off, (int) footer.tocSize(), inflater());
        try {
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
            return TocStream.of(member, h.size, MAX_TOC_TRAILER, options);
        } catch (InvalidBlobException e) {
            member.close();
            throw e;
        } catch (IOException e) {
            member.close();
            throw TocStream.broken(layer, e);
        }
    }

    @Override
    final DecodeStream openSpan(byte[] buf, int off, int len) throws IOException {
        GzipSpan span = new GzipSpan(buf, off, len, inflater());
        span.start();
        return span;
    }

    /**
     * A member inflates to its chunks and then to the tar headers of the entries that follow it up to the next
     * file's chunk. Its trailer gives the exact size (ISIZE) when the span is one member; this is the most headers
     * believed beyond the chunks, and what is allowed for them when the span holds several members.
     */
    private static final int MAX_TRAILING_HEADERS = 1 << 20;
    private static final int GUESSED_TRAILING_HEADERS = 64 << 10;
    /** Larger spans (files verified whole) stream, so that no more than this is held at once. */
    private static final int MAX_WHOLE = 16 << 20;

    @Override
    final byte[] decompressWhole(byte[] buf, int off, int len, long needed) {
        WholeInflater whole = WholeInflater.get();
        if (whole == null || needed > MAX_WHOLE || len < 18) {
            return null;
        }
        long isize = GzipMember.le32(buf, off + len - 4);
        long capacity = isize >= needed && isize <= needed + MAX_TRAILING_HEADERS ? isize
                : needed + GUESSED_TRAILING_HEADERS;
        return whole.inflate(buf, off, len, (int) capacity);
    }

    private static Inflater inflater() {
        Inflater inflater = INFLATERS.poll();
        return inflater != null ? inflater : new Inflater(true);
    }

    /** Gives an inflater back to the pool (or frees it when the pool is full). */
    static void release(Inflater inflater) {
        if (!INFLATERS.offer(inflater)) {
            inflater.end();
        }
    }

    /** The TOC member as the tar reader sees it: it may read at most {@link #MAX_TOC_HEADERS} bytes of headers. */
    private static final class HeaderStream extends InputStream {
        private final DecodeStream member;
        private long limit = MAX_TOC_HEADERS;

        HeaderStream(DecodeStream member) {
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
