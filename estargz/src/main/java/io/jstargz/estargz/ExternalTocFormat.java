package io.jstargz.estargz;

/**
 * eStargz with an external TOC (the reference's {@code estargz/externaltoc}): the blob is the eStargz payload and a
 * 46-byte footer, an empty gzip member whose extra field has the subfield {@code SG} holding
 * {@code STARGZEXTERNALTOC}; the TOC member (the tar entry {@code stargz.index.json}, gzip-compressed) is a layer of a
 * separate image, {@code <tag>-esgztoc}, found by its annotation {@code containerd.io/snapshot/stargz/layer.digest}.
 * The footer says nothing about the TOC: its bytes come from {@link OpenOptions#externalToc()}, and its digest is
 * checked against the layer's {@code toc.digest} as always.
 */
final class ExternalTocFormat extends GzipFormat {
    private static final int SIZE = 46;
    private static final byte[] MAGIC = "STARGZEXTERNALTOC".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final int XLEN = 4 + MAGIC.length;

    ExternalTocFormat() {
        super("estargz (external TOC)", SIZE, XLEN);
    }

    @Override
    Footer parseExtra(byte[] tail, int x, long blobSize, StringBuilder problems) {
        int subLength = (tail[x + 2] & 0xff) | (tail[x + 3] & 0xff) << 8;
        if (tail[x] != 'S' || tail[x + 1] != 'G' || subLength != MAGIC.length
                || !java.util.Arrays.equals(tail, x + 4, x + 4 + MAGIC.length, MAGIC, 0, MAGIC.length)) {
            problems.append("extra subfield is not SG STARGZEXTERNALTOC");
            return null;
        }
        return new Footer(this, Footer.EXTERNAL, 0, blobSize - SIZE, -1);
    }

    @Override
    byte[] footer(long tocOffset) {
        byte[] f = new byte[SIZE];
        byte[] header = {0x1f, (byte) 0x8b, 8, FLG_FEXTRA, 0, 0, 0, 0, 0, (byte) 0xff, (byte) XLEN, 0, 'S', 'G',
            (byte) MAGIC.length, 0};
        System.arraycopy(header, 0, f, 0, header.length);
        System.arraycopy(MAGIC, 0, f, header.length, MAGIC.length);
        // an empty final stored deflate block, then CRC32 = 0 and ISIZE = 0
        byte[] body = {1, 0, 0, (byte) 0xff, (byte) 0xff};
        System.arraycopy(body, 0, f, header.length + MAGIC.length, body.length);
        return f;
    }

    @Override
    boolean tocInBlob() {
        return false;
    }
}
