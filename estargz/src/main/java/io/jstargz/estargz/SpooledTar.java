package io.jstargz.estargz;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;

/**
 * A layer tar read once for its headers, with random access to entry data afterwards. An uncompressed tar file is
 * used in place; anything else (a stream, a tar.gz, a tar.zst) is decompressed into a temporary file while the
 * headers are read, because the reference order (prioritized files first, later duplicates replacing earlier ones)
 * needs the whole archive before the first byte can be written. Memory holds headers only.
 */
final class SpooledTar implements AutoCloseable {

    /** The reference's landmark payload. */
    static final byte[] LANDMARK_CONTENTS = {0x0f};

    /**
     * One tar entry: its header as read, and where its data is (in the spool, or inline for landmarks).
     *
     * @param cleanName the reference's {@code cleanEntryName} of the raw name (one char per byte)
     */
    record Item(TarHeader header, String cleanName, long dataOffset, byte[] inline) {
    }

    private final LinkedHashMap<String, Item> items;
    private final FileChannel data;
    private final Path tempFile;

    private SpooledTar(LinkedHashMap<String, Item> items, FileChannel data, Path tempFile) {
        this.items = items;
        this.data = data;
        this.tempFile = tempFile;
    }

    /** Reads a tar, tar.gz or tar.zst file; an uncompressed tar is read in place. */
    static SpooledTar read(Path file, Path tempDir) throws IOException {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            if (LayerStreams.kind(raw) == LayerStreams.Kind.TAR) {
                LinkedHashMap<String, Item> items = index(new TarReader(raw));
                return new SpooledTar(items, FileChannel.open(file, StandardOpenOption.READ), null);
            }
            return spool(raw, tempDir);
        }
    }

    /** Reads a tar, tar.gz or tar.zst stream into a temporary spool file. */
    static SpooledTar read(InputStream in, Path tempDir) throws IOException {
        return spool(in.markSupported() ? in : new BufferedInputStream(in, 1 << 16), tempDir);
    }

    private static SpooledTar spool(InputStream in, Path tempDir) throws IOException {
        Path tmp = tempDir == null ? Files.createTempFile("jstargz-", ".tar")
                : Files.createTempFile(tempDir, "jstargz-", ".tar");
        try {
            InputStream tar = LayerStreams.plainTar(in);
            LinkedHashMap<String, Item> items;
            try (OutputStream spool = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
                items = index(new TarReader(new Tee(tar, spool)));
            }
            return new SpooledTar(items, FileChannel.open(tmp, StandardOpenOption.READ), tmp);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
    }

    /**
     * Reads all headers. As the reference's {@code importTar}: existing landmarks are dropped, and an entry whose
     * cleaned name was seen before replaces the earlier one and moves to the end.
     */
    static LinkedHashMap<String, Item> index(TarReader reader) throws IOException {
        LinkedHashMap<String, Item> items = new LinkedHashMap<>();
        for (TarHeader h = reader.next(); h != null; h = reader.next()) {
            String clean = GoPaths.cleanEntryName(h.rawName());
            if (clean.equals(Landmarks.PREFETCH) || clean.equals(Landmarks.NO_PREFETCH)) {
                continue;
            }
            items.remove(clean);
            items.put(clean, new Item(h, clean, reader.dataOffset(), null));
        }
        return items;
    }

    LinkedHashMap<String, Item> items() {
        return items;
    }

    /** Reads entry data at an offset of the tar stream. */
    void readData(long offset, byte[] buf, int off, int len) throws IOException {
        ByteBuffer bb = ByteBuffer.wrap(buf, off, len);
        long pos = offset;
        while (bb.hasRemaining()) {
            int n = data.read(bb, pos);
            if (n < 0) {
                throw new EOFException("layer tar ends inside entry data at offset " + pos);
            }
            pos += n;
        }
    }

    @Override
    public void close() throws IOException {
        try {
            data.close();
        } finally {
            if (tempFile != null) {
                Files.deleteIfExists(tempFile);
            }
        }
    }

    /** Copies everything read (and skipped) into the spool, so spool offsets equal tar stream offsets. */
    private static final class Tee extends FilterInputStream {
        private final OutputStream spool;
        private final byte[] scratch = new byte[8192];

        Tee(InputStream in, OutputStream spool) {
            super(in);
            this.spool = spool;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                spool.write(b);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                spool.write(b, off, n);
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            int r = read(scratch, 0, (int) Math.min(n, scratch.length));
            return Math.max(r, 0);
        }
    }
}
