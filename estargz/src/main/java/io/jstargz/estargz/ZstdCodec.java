package io.jstargz.estargz;

import com.github.luben.zstd.EndDirective;
import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import java.nio.ByteBuffer;

/**
 * zstd frames for zstd:chunked, with checksums as the reference's encoder writes them. A piece compressed on its own
 * is a frame of its own, so a member longer than a batch is a few frames, which any zstd decoder reads as one
 * stream; a piece that continues its member's stream is more blocks of the same frame (flushed, as the reference's
 * encoder flushes before each chunk with a min chunk size). No header or trailer: a frame carries its own.
 */
final class ZstdCodec extends MemberCodec {
    private static final byte[] NONE = new byte[0];
    private final int level;

    /** Frames compressed at {@code level}, 1..22 (ctr-remote uses 3); members as streams if {@code streaming}. */
    ZstdCodec(int level, boolean streaming) {
        super(streaming);
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
    void compress(Compressor c, byte[] data, int off, int len, byte[] dictionary, boolean continues, boolean last,
                  ByteBuf out) {
        ZstdCompressCtx ctx = ((ZstdCompressor) c).ctx();
        int bound = (int) Zstd.compressBound(len);
        if (!streaming()) {
            out.ensure(bound);
            out.advance(ctx.compressByteArray(out.array(), out.size(), bound, data, off, len));
            return;
        }
        // one frame per member: started by its first piece, flushed after each piece, ended by the last
        ByteBuffer src = ByteBuffer.wrap(data, off, len);
        EndDirective end = last ? EndDirective.END : EndDirective.FLUSH;
        boolean done;
        do {
            out.ensure(Math.max(bound, 4096));
            ByteBuffer dst = ByteBuffer.wrap(out.array(), out.size(), out.free());
            done = ctx.compressByteBufferStream(dst, src, end);
            out.advance(dst.position() - out.size());
        } while (!done || src.hasRemaining());
    }

    @Override
    byte[] trailer(long crc32, long size) {
        return NONE;
    }
}
