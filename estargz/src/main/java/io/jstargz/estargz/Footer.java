package io.jstargz.estargz;

import java.nio.charset.StandardCharsets;

/**
 * The footer at the end of a blob: an empty gzip member whose extra field carries the TOC offset as
 * {@code "%016xSTARGZ"}.
 *
 * @param kind      which footer layout
 * @param tocOffset compressed offset of the gzip member holding the TOC
 */
public record Footer(FooterKind kind, long tocOffset) {

    /** Size of the largest footer, i.e. how many tail bytes must be read to find any footer. */
    public static final int MAX_SIZE = FooterKind.ESTARGZ.size();

    private static final byte[] MAGIC = "STARGZ".getBytes(StandardCharsets.US_ASCII);
    private static final int HEX_DIGITS = 16;
    private static final int FLG_FEXTRA = 0x04;

    /**
     * Parses the footer from the last bytes of a blob: {@code tail[off, off + len)} must end where the blob ends.
     * The eStargz footer is tried first, then the legacy one.
     */
    public static Footer parse(byte[] tail, int off, int len, String layer) throws InvalidBlobException {
        if (len < FooterKind.LEGACY.size()) {
            throw new InvalidBlobException(InvalidBlobException.Reason.BAD_FOOTER, "layer " + layer + ": blob of "
                    + len + " bytes is smaller than any stargz footer (" + FooterKind.LEGACY.size() + " bytes)");
        }
        String estargzProblem = "blob is smaller than 51 bytes";
        if (len >= FooterKind.ESTARGZ.size()) {
            int start = off + len - FooterKind.ESTARGZ.size();
            estargzProblem = checkGzipHeader(tail, start, 26);
            if (estargzProblem == null) {
                int x = start + 12;
                int subLen = (tail[x + 2] & 0xff) | (tail[x + 3] & 0xff) << 8;
                if (tail[x] != 'S' || tail[x + 1] != 'G') {
                    estargzProblem = "extra subfield id is not SG";
                } else if (subLen != HEX_DIGITS + MAGIC.length) {
                    estargzProblem = "extra subfield length is " + subLen + ", not 22";
                } else {
                    Long offset = parseOffset(tail, x + 4);
                    if (offset != null) {
                        return new Footer(FooterKind.ESTARGZ, offset);
                    }
                    estargzProblem = "extra subfield is not %016xSTARGZ";
                }
            }
        }
        int start = off + len - FooterKind.LEGACY.size();
        String legacyProblem = checkGzipHeader(tail, start, 22);
        if (legacyProblem == null) {
            Long offset = parseOffset(tail, start + 12);
            if (offset != null) {
                return new Footer(FooterKind.LEGACY, offset);
            }
            legacyProblem = "extra field is not %016xSTARGZ";
        }
        throw new InvalidBlobException(InvalidBlobException.Reason.BAD_FOOTER, "layer " + layer
                + ": no stargz footer at the end of the blob (eStargz: " + estargzProblem + "; legacy: "
                + legacyProblem + ")");
    }

    /** Returns null if {@code b[start..]} starts a gzip header with FEXTRA of exactly {@code xlen} bytes. */
    private static String checkGzipHeader(byte[] b, int start, int xlen) {
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

    private static Long parseOffset(byte[] b, int at) {
        for (int i = 0; i < MAGIC.length; i++) {
            if (b[at + HEX_DIGITS + i] != MAGIC[i]) {
                return null;
            }
        }
        long value = 0;
        for (int i = 0; i < HEX_DIGITS; i++) {
            int d = Character.digit(b[at + i], 16);
            if (d < 0) {
                return null;
            }
            value = value << 4 | d;
        }
        return value < 0 ? null : value;
    }

    /** The 51 bytes of an eStargz footer pointing at {@code tocOffset}, exactly as the reference writes them. */
    public static byte[] estargz(long tocOffset) {
        byte[] f = new byte[FooterKind.ESTARGZ.size()];
        byte[] header = {0x1f, (byte) 0x8b, 8, FLG_FEXTRA, 0, 0, 0, 0, 0, (byte) 0xff, 26, 0, 'S', 'G', 22, 0};
        System.arraycopy(header, 0, f, 0, header.length);
        byte[] sub = String.format("%016x", tocOffset).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(sub, 0, f, 16, HEX_DIGITS);
        System.arraycopy(MAGIC, 0, f, 16 + HEX_DIGITS, MAGIC.length);
        // an empty final stored deflate block, then CRC32 = 0 and ISIZE = 0
        byte[] body = {1, 0, 0, (byte) 0xff, (byte) 0xff};
        System.arraycopy(body, 0, f, 38, body.length);
        return f;
    }
}
