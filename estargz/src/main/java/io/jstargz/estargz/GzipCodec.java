package io.jstargz.estargz;

import java.util.zip.Deflater;

/**
 * Gzip members as Go's {@code gzip.Writer} writes them (the reference's converter), split pigz-style: a piece that
 * continues a member is primed with the previous 32 KiB as a preset dictionary, and every piece but the last ends
 * with a sync flush, so the pieces concatenate into one valid deflate stream.
 */
final class GzipCodec extends MemberCodec {
    private final int level;

    /** Members compressed at {@code level}: -1 (zlib's default, 6) or 0..9; as streams if {@code streaming}. */
    GzipCodec(int level, boolean streaming) {
        super(streaming);
        if (level < -1 || level > 9) {
            throw new IllegalArgumentException("gzip compression level must be -1..9, got " + level);
        }
        this.level = level;
    }

    private record DeflaterCompressor(Deflater deflater) implements Compressor {
        @Override
        public void close() {
            deflater.end();
        }
    }

    @Override
    Compressor newCompressor() {
        return new DeflaterCompressor(new Deflater(level, true));
    }

    @Override
    boolean continuesWithDictionary() {
        return true;
    }

    @Override
    byte[] header() {
        // Go's gzip.Writer: no flags, MTIME 0, XFL 2 for best compression and 4 for best speed, OS unknown (255)
        int xfl = level == Deflater.BEST_COMPRESSION ? 2 : level == Deflater.BEST_SPEED ? 4 : 0;
        return new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, (byte) xfl, (byte) 0xff};
    }

    @Override
    void compress(Compressor c, byte[] data, int off, int len, byte[] dictionary, boolean continues, boolean last,
                  ByteBuf out) {
        Deflater d = ((DeflaterCompressor) c).deflater();
        if (!continues) {
            d.reset();
            if (dictionary != null) {
                d.setDictionary(dictionary);
            }
        }
        d.setInput(data, off, len);
        if (last) {
            d.finish();
        }
        while (true) {
            out.ensure(4096);
            int space = out.free();
            int n = last ? d.deflate(out.array(), out.size(), space)
                    : d.deflate(out.array(), out.size(), space, Deflater.SYNC_FLUSH);
            out.advance(n);
            if (last ? d.finished() : n < space && d.needsInput()) {
                break;
            }
        }
    }

    @Override
    byte[] trailer(long crc32, long size) {
        byte[] trailer = new byte[8];
        le32(trailer, 0, crc32);
        le32(trailer, 4, size);
        return trailer;
    }

    private static void le32(byte[] b, int at, long v) {
        b[at] = (byte) v;
        b[at + 1] = (byte) (v >>> 8);
        b[at + 2] = (byte) (v >>> 16);
        b[at + 3] = (byte) (v >>> 24);
    }
}
