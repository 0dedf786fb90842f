package io.jstargz.estargz;

/**
 * How a {@link BlobFormat} compresses the members {@link ParallelMemberWriter} writes. A member reaches the codec in
 * pieces of at most one batch; each piece is compressed on its own (on any thread), and the pieces, with the
 * codec's header before the first and trailer after the last, must concatenate into one valid member.
 */
abstract class MemberCodec {

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
     * @param dictionary the member's bytes just before this piece when the piece continues a member and
     *                   {@link #continuesWithDictionary()}, else null
     * @param last       whether this piece ends its member
     */
    abstract void compress(Compressor c, byte[] data, int off, int len, byte[] dictionary, boolean last, ByteBuf out);

    /** Bytes written after a member's last piece, given the CRC32 and size (mod 2^32) of its uncompressed bytes. */
    abstract byte[] trailer(long crc32, long size);
}
