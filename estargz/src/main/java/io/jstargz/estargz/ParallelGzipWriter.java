package io.jstargz.estargz;

import io.jstargz.concurrent.Futures;
import io.jstargz.concurrent.Threads;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.LongConsumer;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * Writes a sequence of independent gzip members, compressing on several threads while writing strictly in order.
 *
 * <p>Uncompressed bytes are collected into batches of about 1 MiB; each batch holds pieces of one or more members
 * and is compressed as one task. A member longer than a batch is split pigz-style: each piece is primed with the
 * previous 32 KiB as a preset dictionary and ended with a sync flush, so the pieces concatenate into one valid
 * deflate stream. At most {@code 2 * parallelism} batches are in flight, which bounds memory whatever the layer size.
 * The uncompressed and compressed SHA-256 (diffID and blob digest) are computed on the way.
 */
final class ParallelGzipWriter implements AutoCloseable {
    // sized so that a buffer plus its array header fits one 1 MiB G1 region: humongous objects of a little over
    // 1 MiB would take two regions each and waste half of them in small heaps
    static final int BATCH_SIZE = (1 << 20) - (32 << 10);
    private static final int OUTPUT_SIZE = (1 << 20) - 64;
    private static final int DICT_SIZE = 32 * 1024;

    private final OutputStream out;
    private final int level;
    private final ExecutorService executor;
    private final BlockingQueue<Deflater> deflaters;
    private final ArrayDeque<Future<Batch>> inFlight = new ArrayDeque<>();
    private final int maxInFlight;
    // batch buffers are large (humongous for G1), so they are reused rather than left to the collector
    private final BlockingQueue<byte[]> freeInputs;
    private final BlockingQueue<byte[]> freeOutputs;

    private final MessageDigest uncompressedDigest = Digests.sha256();
    private final MessageDigest compressedDigest = Digests.sha256();
    private long uncompressedSize;
    private long compressedSize;

    private byte[] buf = new byte[BATCH_SIZE];
    private int used;
    private List<Piece> pieces = new ArrayList<>();
    private Piece open;
    private boolean memberOpen;
    private boolean memberHasPiece;
    private LongConsumer pendingSink;
    private byte[] nextDictionary;
    private final CRC32 crc = new CRC32();
    private long memberSize;

    /** One piece of a member inside a batch buffer. */
    private static final class Piece {
        final int off;
        int len;
        final boolean memberStart;
        final LongConsumer offsetSink;
        final byte[] dictionary;
        boolean last;
        long crc;
        long isize;
        int compressedOffset;
        int compressedLength;

        Piece(int off, boolean memberStart, LongConsumer offsetSink, byte[] dictionary) {
            this.off = off;
            this.memberStart = memberStart;
            this.offsetSink = offsetSink;
            this.dictionary = dictionary;
        }
    }

    /** Uncompressed bytes of some pieces, and (once compressed) their compressed bytes. */
    private static final class Batch {
        final byte[] data;
        final List<Piece> pieces;
        ByteBuf compressed;

        Batch(byte[] data, List<Piece> pieces) {
            this.data = data;
            this.pieces = pieces;
        }
    }

    ParallelGzipWriter(OutputStream out, int level, int parallelism) {
        this.out = out;
        this.level = level;
        this.maxInFlight = 2 * parallelism;
        this.freeInputs = new ArrayBlockingQueue<>(maxInFlight + 2);
        this.freeOutputs = new ArrayBlockingQueue<>(maxInFlight + 2);
        this.deflaters = new ArrayBlockingQueue<>(parallelism);
        for (int i = 0; i < parallelism; i++) {
            deflaters.add(new Deflater(level, true));
        }
        if (parallelism > 1) {
            this.executor = Executors.newFixedThreadPool(parallelism, Threads.named("jstargz-gzip"));
        } else {
            this.executor = null;
        }
    }

    /**
     * Ends the open member, if any, and starts a new one; {@code offsetSink} receives its compressed offset once
     * everything before it has been written.
     */
    void newMember(LongConsumer offsetSink) throws IOException {
        closeMember();
        memberOpen = true;
        memberHasPiece = false;
        pendingSink = offsetSink;
        crc.reset();
        memberSize = 0;
    }

    /** Writes uncompressed bytes into the open member, starting one if none is open. */
    void write(byte[] b, int off, int len) throws IOException {
        if (!memberOpen) {
            newMember(null);
        }
        uncompressedDigest.update(b, off, len);
        crc.update(b, off, len);
        uncompressedSize += len;
        memberSize += len;
        while (len > 0) {
            if (used == buf.length) {
                submit();
            }
            ensurePiece();
            int n = Math.min(len, buf.length - used);
            System.arraycopy(b, off, buf, used, n);
            used += n;
            open.len += n;
            off += n;
            len -= n;
        }
    }

    void write(byte[] b) throws IOException {
        write(b, 0, b.length);
    }

    /** Ends the open member. */
    void closeMember() throws IOException {
        if (!memberOpen) {
            return;
        }
        if (open == null) {
            if (used == buf.length) {
                submit();
            }
            ensurePiece();
        }
        open.last = true;
        open.crc = crc.getValue();
        open.isize = memberSize & 0xffffffffL;
        pieces.add(open);
        open = null;
        memberOpen = false;
    }

    /** Makes sure the open member has a piece in the current buffer. */
    private void ensurePiece() {
        if (open == null) {
            open = memberHasPiece ? new Piece(used, false, null, nextDictionary)
                    : new Piece(used, true, pendingSink, null);
            memberHasPiece = true;
            pendingSink = null;
            nextDictionary = null;
        }
    }

    /** Hands the current batch to the compressors (or compresses it here when single-threaded). */
    private void submit() throws IOException {
        if (open != null) {
            pieces.add(open);
            nextDictionary = tail(open);
            open = null;
        }
        Batch batch = new Batch(buf, pieces);
        byte[] next = freeInputs.poll();
        buf = next != null ? next : new byte[BATCH_SIZE];
        used = 0;
        pieces = new ArrayList<>();
        if (executor == null) {
            writeOut(compress(batch));
            return;
        }
        inFlight.add(executor.submit(() -> compress(batch)));
        while (inFlight.size() > maxInFlight) {
            writeOut(await(inFlight.poll()));
        }
    }

    private byte[] tail(Piece p) {
        int n = Math.min(DICT_SIZE, p.len);
        byte[] own = Arrays.copyOfRange(buf, p.off + p.len - n, p.off + p.len);
        if (n == DICT_SIZE || p.dictionary == null) {
            return own;
        }
        int fromPrev = Math.min(DICT_SIZE - n, p.dictionary.length);
        byte[] d = new byte[fromPrev + n];
        System.arraycopy(p.dictionary, p.dictionary.length - fromPrev, d, 0, fromPrev);
        System.arraycopy(own, 0, d, fromPrev, n);
        return d;
    }

    private Batch compress(Batch batch) throws IOException {
        Deflater d;
        try {
            d = deflaters.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while compressing");
        }
        try {
            byte[] out = freeOutputs.poll();
            batch.compressed = new ByteBuf(out != null ? out : new byte[OUTPUT_SIZE]);
            for (Piece p : batch.pieces) {
                deflate(d, batch.data, p, batch.compressed);
            }
            return batch;
        } finally {
            deflaters.add(d);
        }
    }

    private static void deflate(Deflater d, byte[] data, Piece p, ByteBuf out) {
        d.reset();
        if (p.dictionary != null) {
            d.setDictionary(p.dictionary);
        }
        d.setInput(data, p.off, p.len);
        p.compressedOffset = out.size();
        if (p.last) {
            d.finish();
        }
        while (true) {
            out.ensure(4096);
            int space = out.free();
            int n = p.last ? d.deflate(out.array(), out.size(), space)
                    : d.deflate(out.array(), out.size(), space, Deflater.SYNC_FLUSH);
            out.advance(n);
            if (p.last ? d.finished() : n < space && d.needsInput()) {
                break;
            }
        }
        p.compressedLength = out.size() - p.compressedOffset;
    }

    private static Batch await(Future<Batch> f) throws IOException {
        return Futures.get(f, "compression");
    }

    private void writeOut(Batch batch) throws IOException {
        for (Piece p : batch.pieces) {
            if (p.memberStart) {
                if (p.offsetSink != null) {
                    p.offsetSink.accept(compressedSize);
                }
                byte[] header = gzipHeader();
                emit(header, 0, header.length);
            }
            emit(batch.compressed.array(), p.compressedOffset, p.compressedLength);
            if (p.last) {
                byte[] trailer = new byte[8];
                le32(trailer, 0, p.crc);
                le32(trailer, 4, p.isize);
                emit(trailer, 0, trailer.length);
            }
        }
        freeInputs.offer(batch.data);
        if (batch.compressed.array().length == OUTPUT_SIZE) {
            freeOutputs.offer(batch.compressed.array());
        }
    }

    private byte[] gzipHeader() {
        // Go's gzip.Writer: no flags, MTIME 0, XFL 2 for best compression and 4 for best speed, OS unknown (255)
        int xfl = level == Deflater.BEST_COMPRESSION ? 2 : level == Deflater.BEST_SPEED ? 4 : 0;
        return new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, (byte) xfl, (byte) 0xff};
    }

    private static void le32(byte[] b, int at, long v) {
        b[at] = (byte) v;
        b[at + 1] = (byte) (v >>> 8);
        b[at + 2] = (byte) (v >>> 16);
        b[at + 3] = (byte) (v >>> 24);
    }

    /** Writes bytes that are not part of any compressed member (the footer is its own ready-made member). */
    void writeRaw(byte[] b) throws IOException {
        flush();
        emit(b, 0, b.length);
    }

    private void emit(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
        compressedDigest.update(b, off, len);
        compressedSize += len;
    }

    /** Compresses and writes everything written so far; afterwards all offset sinks have been called. */
    void flush() throws IOException {
        closeMember();
        if (!pieces.isEmpty()) {
            submit();
        }
        while (!inFlight.isEmpty()) {
            writeOut(await(inFlight.poll()));
        }
        freeInputs.clear();
        freeOutputs.clear();
    }

    /** Compressed bytes written so far (exact after {@link #flush()}). */
    long compressedSize() {
        return compressedSize;
    }

    long uncompressedSize() {
        return uncompressedSize;
    }

    byte[] uncompressedSha256() {
        return uncompressedDigest.digest();
    }

    byte[] compressedSha256() {
        return compressedDigest.digest();
    }

    @Override
    public void close() {
        for (Future<Batch> f : inFlight) {
            f.cancel(true);
        }
        inFlight.clear();
        if (executor != null) {
            executor.shutdownNow();
        }
        for (Deflater d : deflaters) {
            d.end();
        }
    }
}
