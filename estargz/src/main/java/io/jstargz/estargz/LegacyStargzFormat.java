package io.jstargz.estargz;

/**
 * The original stargz format (CRFS): the footer's gzip extra field is the raw {@code %016xSTARGZ}, without a subfield
 * header, so the footer is 47 bytes. Its TOCs usually carry no {@code chunkDigest}: files of several chunks are then
 * verified by their whole-file digest.
 */
final class LegacyStargzFormat extends GzipFormat {
    private static final int SIZE = 47;
    private static final int XLEN = 22;

    LegacyStargzFormat() {
        super("legacy stargz", SIZE, XLEN);
    }

    @Override
    Footer parseExtra(byte[] tail, int extra, long blobSize, StringBuilder problems) {
        return footer(parseOffset(tail, extra), blobSize, problems);
    }

    @Override
    byte[] footer(long tocOffset) {
        byte[] f = new byte[SIZE];
        byte[] header = {0x1f, (byte) 0x8b, 8, FLG_FEXTRA, 0, 0, 0, 0, 0, (byte) 0xff, XLEN, 0};
        System.arraycopy(header, 0, f, 0, header.length);
        putOffset(f, header.length, tocOffset);
        // an empty final stored deflate block, then CRC32 = 0 and ISIZE = 0
        byte[] body = {1, 0, 0, (byte) 0xff, (byte) 0xff};
        System.arraycopy(body, 0, f, 34, body.length);
        return f;
    }
}
