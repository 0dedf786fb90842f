package io.jstargz.estargz;

import io.jstargz.estargz.InvalidBlobException.Reason;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * zstd:chunked, as the reference ({@code estargz/zstdchunked}) and ctr-remote {@code --zstdchunked} write it: file
 * contents in zstd frames (a new frame at each chunk, as eStargz starts a gzip member), the TOC JSON itself (no tar
 * entry) compressed in one zstd frame inside a skippable frame, and a 40-byte footer in a skippable frame of its own.
 * Skippable frames are ignored by any zstd decoder, so the blob is also a plain {@code tar+zstd} layer (without
 * end-of-archive blocks, as the reference writes it).
 *
 * <p>The footer is {@code tocOffset, tocCompressedSize, tocJsonSize, manifestType (1)} as little-endian 64-bit
 * numbers, then the magic {@code GnUlInUx}; {@code tocOffset} points at the TOC's zstd frame, just past the
 * skippable frame's 8-byte header. This class's TOC range starts at that header, which it checks too.
 */
final class ZstdChunkedFormat extends BlobFormat {
    private static final int FOOTER_BODY = 40;
    private static final int SKIPPABLE_HEADER = 8;
    private static final int SKIPPABLE_MAGIC = 0x184D2A50;
    private static final byte[] MAGIC = "GnUlInUx".getBytes(StandardCharsets.US_ASCII);
    private static final long MANIFEST_TYPE_CRFS = 1;
    /** An RLE block turns 4 bytes into 128 KiB: no zstd data expands more. */
    private static final long MAX_EXPANSION = 32 * 1024;
    /** Layer annotation: the digest of the compressed TOC (without its skippable frame's header). */
    static final String MANIFEST_CHECKSUM = "io.containers.zstd-chunked.manifest-checksum";
    /** Layer annotation: {@code tocOffset:compressedSize:jsonSize:manifestType}, as in the footer. */
    static final String MANIFEST_POSITION = "io.containers.zstd-chunked.manifest-position";
    /** ctr-remote's level ({@code zstd.SpeedDefault}). */
    private static final int DEFAULT_LEVEL = 3;

    @Override
    public String name() {
        return "zstd:chunked";
    }

    @Override
    public int footerSize() {
        return SKIPPABLE_HEADER + FOOTER_BODY;
    }

    @Override
    Footer parseFooter(byte[] tail, int off, int len, long blobSize, StringBuilder problems) {
        ByteBuffer b = ByteBuffer.wrap(tail, off + len - footerSize(), footerSize()).order(ByteOrder.LITTLE_ENDIAN);
        int frameMagic = b.getInt();
        int frameSize = b.getInt();
        long tocOffset = b.getLong();
        long tocSize = b.getLong();
        long jsonSize = b.getLong();
        long manifestType = b.getLong();
        byte[] magic = new byte[MAGIC.length];
        b.get(magic);
        if (!java.util.Arrays.equals(magic, MAGIC)) {
            problems.append("no GnUlInUx magic");
        } else if (frameMagic != SKIPPABLE_MAGIC || frameSize != FOOTER_BODY) {
            problems.append("the footer is not in a skippable frame of ").append(FOOTER_BODY).append(" bytes");
        } else if (manifestType != MANIFEST_TYPE_CRFS) {
            problems.append("manifest type ").append(manifestType).append(" is not ").append(MANIFEST_TYPE_CRFS)
                    .append(" (a stargz TOC)");
        } else if (tocOffset < SKIPPABLE_HEADER || tocSize <= 0 || tocSize > Long.MAX_VALUE - SKIPPABLE_HEADER
                || jsonSize < 0) {
            problems.append("TOC offset ").append(tocOffset).append(", size ").append(tocSize)
                    .append(" and JSON size ").append(jsonSize).append(" are not a TOC");
        } else {
            long start = tocOffset - SKIPPABLE_HEADER;
            return new Footer(this, start, tocSize + SKIPPABLE_HEADER, start, jsonSize);
        }
        return null;
    }

    @Override
    TocStream openToc(byte[] buf, int off, Footer footer, OpenOptions options) throws InvalidBlobException {
        String layer = options.layerName();
        ByteBuffer header = ByteBuffer.wrap(buf, off, SKIPPABLE_HEADER).order(ByteOrder.LITTLE_ENDIAN);
        int frameMagic = header.getInt();
        long frameSize = header.getInt() & 0xffffffffL;
        long compressed = footer.tocSize() - SKIPPABLE_HEADER;
        if (frameMagic != SKIPPABLE_MAGIC || frameSize != compressed) {
            throw new InvalidBlobException(Reason.BAD_TOC, "layer " + layer + ": the TOC is not in a skippable frame"
                    + " of the " + compressed + " bytes the footer says (found " + (frameMagic == SKIPPABLE_MAGIC
                    ? "one of " + frameSize + " bytes" : "no skippable frame") + ")");
        }
        ZstdSpan toc;
        try {
            toc = new ZstdSpan(buf, off + SKIPPABLE_HEADER, (int) compressed);
        } catch (IOException e) {
            throw TocStream.broken(layer, e);
        }
        try {
            return TocStream.of(toc, footer.tocJsonSize(), 0, options);
        } catch (InvalidBlobException e) {
            toc.close();
            throw e;
        }
    }

    @Override
    DecodeStream openSpan(byte[] buf, int off, int len) throws IOException {
        return new ZstdSpan(buf, off, len);
    }

    @Override
    long maxExpansion() {
        return MAX_EXPANSION;
    }

    @Override
    MemberCodec codec(int level, boolean streaming) {
        return new ZstdCodec(level, streaming);
    }

    @Override
    public int defaultCompressionLevel() {
        return DEFAULT_LEVEL;
    }

    @Override
    TocWritten writeToc(ParallelMemberWriter w, byte[] json) throws IOException {
        byte[] toc = w.compressAside(json);
        long tocOffset = w.compressedSize() + SKIPPABLE_HEADER;
        w.writeRaw(skippable(toc));
        ByteBuffer footer = ByteBuffer.allocate(FOOTER_BODY).order(ByteOrder.LITTLE_ENDIAN);
        footer.putLong(tocOffset).putLong(toc.length).putLong(json.length).putLong(MANIFEST_TYPE_CRFS).put(MAGIC);
        w.writeRaw(skippable(footer.array()));
        return new TocWritten(Map.of(MANIFEST_CHECKSUM, Digests.of(toc), MANIFEST_POSITION,
                tocOffset + ":" + toc.length + ":" + json.length + ":" + MANIFEST_TYPE_CRFS), null);
    }

    /** {@code content} in a skippable frame. */
    private static byte[] skippable(byte[] content) {
        return ByteBuffer.allocate(SKIPPABLE_HEADER + content.length).order(ByteOrder.LITTLE_ENDIAN)
                .putInt(SKIPPABLE_MAGIC).putInt(content.length).put(content).array();
    }
}
