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
    /**
     * The most read or written in one call. NIO copies a heap buffer through a temporary direct buffer of its size, and
     * keeps one per thread only up to the daemon's {@code jdk.nio.maxCachedBufferSize} (256 KiB): in one call, each
     * 4 MiB chunk mapped, faulted in and unmapped a buffer of its own (the jdk image's 56 MiB prefetch spent 0.7 s of
     * its threads' time writing the cache, 0.25 s in slices).
     */
    private static final int SLICE = 256 << 10;

    private ChunkFile() {
    }

    /** Size of the file holding {@code dataLength} bytes of chunk data. */
    static long fileSize(int dataLength) {
        return HEADER_BYTES + (long) dataLength;
    }

    /**
     * Writes {@code data} into a new file (never an existing one: temp files are unique), {@link #SLICE} bytes at a
     * time.
     */
    static void write(Path file, byte[] data) throws IOException {
        CRC32C crc = new CRC32C();
        crc.update(data);
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).putInt(MAGIC).putInt(data.length)
                .putInt((int) crc.getValue()).flip();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            writeFully(ch, header);
            for (int off = 0; off < data.length; off += SLICE) {
                writeFully(ch, ByteBuffer.wrap(data, off, Math.min(SLICE, data.length - off)));
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
            readFully(ch, header, file);
            ByteBuffer body = ByteBuffer.wrap(new byte[(int) (size - HEADER_BYTES)]);
            for (int off = 0; off < body.capacity(); off += SLICE) {
                readFully(ch, ByteBuffer.wrap(body.array(), off, Math.min(SLICE, body.capacity() - off)), file);
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

    private static void writeFully(FileChannel ch, ByteBuffer from) throws IOException {
        while (from.hasRemaining()) {
            ch.write(from);
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer into, Path file) throws IOException {
        while (into.hasRemaining()) {
            if (ch.read(into) < 0) {
                throw new CorruptChunkFileException(file, "it shrank while being read");
            }
        }
    }
}
