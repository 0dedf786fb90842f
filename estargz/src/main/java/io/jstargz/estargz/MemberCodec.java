package io.jstargz.estargz;

/**
 * How a {@link BlobFormat} compresses the members {@link ParallelMemberWriter} writes. A member reaches the codec in
 * pieces of at most one batch, and the pieces, with the codec's header before the first and trailer after the last,
 * must concatenate into one valid member. Pieces are compressed on their own, on any thread; or, by a
 * {@link #streaming()} codec, one after the other on one compressor, each piece continuing its member's stream (for a
 * min chunk size, where members are flushed at every chunk: a flush then costs a few bytes, not a new frame).
 */
abstract class MemberCodec {
    private final boolean streaming;

    MemberCodec(boolean streaming) {
        this.streaming = streaming;
    }

    /** Whether members are compressed as streams, sequentially; the writer then uses one thread. */
    final boolean streaming() {
        return streaming;
    }

    /** Compression state that one thread uses at a time; the writer keeps one per thread and closes them. */
    interface Compressor extends AutoCloseable {
        @Override
        void close();
    }

    /** A new compressor. */
    abstract Compressor newCompressor();

    /**
     * Whether a piece that continues a member needs the member's preceding 32 KiB (pigz-style priming, for gzip):
     * the writer then keeps it for the piece.
     */
    abstract boolean continuesWithDictionary();

    /** Bytes written before a member's first piece. */
    abstract byte[] header();

    /**
     * Compresses one piece of a member, {@code data[off, off + len)}, into {@code out}.
     *
     * @param dictionary the member's bytes just before this piece when the piece continues a member, is compressed
     *                   on its own and {@link #continuesWithDictionary()}, else null
     * @param continues  whether this piece continues the stream {@code c} left with the member's previous piece (a
     *                   streaming codec's pieces but the first of each member)
     * @param last       whether this piece ends its member
     */
    abstract void compress(Compressor c, byte[] data, int off, int len, byte[] dictionary, boolean continues,
                           boolean last, ByteBuf out);

    /** Bytes written after a member's last piece, given the CRC32 and size (mod 2^32) of its uncompressed bytes. */
    abstract byte[] trailer(long crc32, long size);
}
