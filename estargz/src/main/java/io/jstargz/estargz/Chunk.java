package io.jstargz.estargz;

/**
 * One verifiable piece of a regular file and where its compressed bytes are.
 *
 * <p>To read it: fetch the blob range {@code [blobOffset, blobEnd)}, decompress it with the layer's
 * {@link BlobFormat}, skip {@code innerOffset} bytes, take {@code size} bytes and check them against {@code digest}
 * ({@link ChunkDecoder} does all of this). Chunks packed into one compressed member share {@code blobOffset} and
 * {@code blobEnd} and differ in {@code innerOffset}.
 *
 * @param fileOffset  offset of the chunk in the file
 * @param size        uncompressed size
 * @param blobOffset  compressed offset of the member holding the chunk
 * @param blobEnd     where the next member starts (the payload's end for the last one)
 * @param innerOffset uncompressed offset of the chunk inside its member
 * @param digest      {@code sha256:<hex>} of the uncompressed chunk, also its content address in caches
 */
public record Chunk(long fileOffset, long size, long blobOffset, long blobEnd, long innerOffset, String digest) {

    /** Length of the compressed span {@code [blobOffset, blobEnd)}. */
    public long spanLength() {
        return blobEnd - blobOffset;
    }

    /** Offset in the file just past this chunk. */
    public long fileEnd() {
        return fileOffset + size;
    }
}
