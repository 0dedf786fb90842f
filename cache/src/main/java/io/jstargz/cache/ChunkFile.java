package io.jstargz.cache;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * The on-disk format of one cached chunk: a 12-byte header (magic, data length, CRC32C of the data), then the data.
 *
 * <p>Checking length and CRC32C on every read catches truncated and corrupted files at a fraction of the cost of
 * re-hashing with SHA-256 (CRC32C is a CPU instruction). The magic carries the format version: a file in another
 * format reads as corrupt, is dropped and refetched.
 */
final class ChunkFile {

    static final int HEADER_BYTES = 12;
    private static final int MAGIC = 0x4A534331; // "JSC1"

    private ChunkFile() {
    }

    /** Size of the file holding {@code dataLength} bytes of chunk data. */
    static long fileSize(int dataLength) {
        return HEADER_BYTES + (long) dataLength;
    }

    /** Writes {@code data} into a new file (never an existing one: temp files are unique). */
    static void write(Path file, byte[] data) throws IOException {
        CRC32C crc = new CRC32C();
        crc.update(data);
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).putInt(MAGIC).putInt(data.length)
                .putInt((int) crc.getValue()).flip();
        ByteBuffer body = ByteBuffer.wrap(data);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer[] buffers = {header, body};
            while (body.hasRemaining()) {
                ch.write(buffers);
            }
        }
    }

    /**
     * Reads and checks the chunk stored in {@code file}.
     *
     * @throws java.nio.file.NoSuchFileException if the file is gone (evicted, possibly by another process)
     * @throws CorruptChunkFileException         if the file is truncated, has another format or fails its CRC
     */
    static byte[] read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < HEADER_BYTES || size - HEADER_BYTES > Integer.MAX_VALUE - 8) {
                throw new CorruptChunkFileException(file, "it is " + size + " bytes long");
            }
            ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
            ByteBuffer body = ByteBuffer.wrap(new byte[(int) (size - HEADER_BYTES)]);
            ByteBuffer[] buffers = {header, body};
            while (body.hasRemaining() || header.hasRemaining()) {
                if (ch.read(buffers) < 0) {
                    throw new CorruptChunkFileException(file, "it shrank while being read");
                }
            }
            header.flip();
            int magic = header.getInt();
            int length = header.getInt();
            int expectedCrc = header.getInt();
            if (magic != MAGIC) {
                throw new CorruptChunkFileException(file, String.format("its magic is %08x, not %08x", magic, MAGIC));
            }
            if (length != body.capacity()) {
                throw new CorruptChunkFileException(file,
                        "its header announces " + length + " bytes of data but it holds " + body.capacity());
            }
            CRC32C crc = new CRC32C();
            crc.update(body.array());
            if ((int) crc.getValue() != expectedCrc) {
                throw new CorruptChunkFileException(file, "its data fails the CRC32C check");
            }
            return body.array();
        }
    }
}
