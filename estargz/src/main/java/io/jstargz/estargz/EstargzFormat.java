package io.jstargz.estargz;

/** eStargz: the footer is an RFC 1952-compliant empty gzip member whose extra field has one subfield, {@code SG}. */
final class EstargzFormat extends GzipFormat {
    private static final int SIZE = 51;
    private static final int XLEN = 26;
    private static final int SUBFIELD_LENGTH = 22;

    EstargzFormat() {
        super("estargz", SIZE, XLEN);
    }

    @Override
    Footer parseExtra(byte[] tail, int x, long blobSize, StringBuilder problems) {
        int subLength = (tail[x + 2] & 0xff) | (tail[x + 3] & 0xff) << 8;
        if (tail[x] != 'S' || tail[x + 1] != 'G') {
            problems.append("extra subfield id is not SG");
            return null;
        }
        if (subLength != SUBFIELD_LENGTH) {
            problems.append("extra subfield length is ").append(subLength).append(", not ").append(SUBFIELD_LENGTH);
            return null;
        }
        long tocOffset = parseOffset(tail, x + 4);
        if (tocOffset < 0) {
            problems.append("extra subfield is not %016xSTARGZ");
            return null;
        }
        return footer(tocOffset, blobSize, problems);
    }

    @Override
    byte[] footer(long tocOffset) {
        return bytes(tocOffset);
    }

    /** The footer pointing at {@code tocOffset}, exactly as the reference writes it. */
    static byte[] bytes(long tocOffset) {
        byte[] f = new byte[SIZE];
        byte[] header = {0x1f, (byte) 0x8b, 8, FLG_FEXTRA, 0, 0, 0, 0, 0, (byte) 0xff, XLEN, 0, 'S', 'G',
            SUBFIELD_LENGTH, 0};
        System.arraycopy(header, 0, f, 0, header.length);
        putOffset(f, header.length, tocOffset);
        // an empty final stored deflate block, then CRC32 = 0 and ISIZE = 0
        byte[] body = {1, 0, 0, (byte) 0xff, (byte) 0xff};
        System.arraycopy(body, 0, f, 38, body.length);
        return f;
    }
}
