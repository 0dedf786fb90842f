package io.jstargz.estargz;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;

/**
 * zstd frames for zstd:chunked: each piece of a member is a frame of its own (with a checksum, as the reference's
 * encoder writes them), so a member longer than a batch is a few frames, which any zstd decoder reads as one stream.
 * No header or trailer: a frame carries its own.
 */
final class ZstdCodec extends MemberCodec {
    private static final byte[] NONE = new byte[0];
    private final int level;

    /** Frames compressed at {@code level}, 1..22 (ctr-remote uses 3). */
    ZstdCodec(int level) {
        if (level < 1 || level > Zstd.maxCompressionLevel()) {
            throw new IllegalArgumentException("zstd compression level must be 1.." + Zstd.maxCompressionLevel()
                    + ", got " + level);
        }
        this.level = level;
    }

    private record ZstdCompressor(ZstdCompressCtx ctx) implements Compressor {
        @Override
        public void close() {
            ctx.close();
        }
    }

    @Override
    Compressor newCompressor() {
        return new ZstdCompressor(new ZstdCompressCtx().setLevel(level).setChecksum(true));
    }

    @Override
    boolean continuesWithDictionary() {
        return false;
    }

    @Override
    byte[] header() {
        return NONE;
    }

    @Override
    void compress(Compressor c, byte[] data, int off, int len, byte[] dictionary, boolean last, ByteBuf out) {
        ZstdCompressCtx ctx = ((ZstdCompressor) c).ctx();
        int bound = (int) Zstd.compressBound(len);
        out.ensure(bound);
        int n = ctx.compressByteArray(out.array(), out.size(), bound, data, off, len);
        out.advance(n);
    }

    @Override
    byte[] trailer(long crc32, long size) {
        return NONE;
    }
}
