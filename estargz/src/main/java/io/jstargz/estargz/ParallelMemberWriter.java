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

/**
 * Writes a sequence of independent compressed members (gzip members, zstd frames: the {@link MemberCodec} says how),
 * compressing on several threads while writing strictly in order.
 *
 * <p>Uncompressed bytes are collected into batches of about 1 MiB; each batch holds pieces of one or more members
 * and is compressed as one task. A member longer than a batch is split into pieces the codec compresses one by one
 * and that concatenate into one valid member (for gzip, pigz-style). At most {@code 2 * parallelism} batches are in
 * flight, which bounds memory whatever the layer size. The uncompressed and compressed SHA-256 (diffID and blob
 * digest) are computed on the way.
 */
final class ParallelMemberWriter implements AutoCloseable {
    // sized so that a buffer plus its array header fits one 1 MiB G1 region: humongous objects of a little over
    // 1 MiB would take two regions each and waste half of them in small heaps
    static final int BATCH_SIZE = (1 << 20) - (32 << 10);
    private static final int OUTPUT_SIZE = (1 << 20) - 64;
    private static final int DICT_SIZE = 32 * 1024;

    private final OutputStream out;
    private final MemberCodec codec;
    private final ExecutorService executor;
    private final BlockingQueue<MemberCodec.Compressor> compressors;
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

    ParallelMemberWriter(OutputStream out, MemberCodec codec, int parallelism) {
        this.out = out;
        this.codec = codec;
        this.maxInFlight = 2 * (codec.streaming() ? 1 : parallelism);
        this.freeInputs = new ArrayBlockingQueue<>(maxInFlight + 2);
        this.freeOutputs = new ArrayBlockingQueue<>(maxInFlight + 2);
        int threads = codec.streaming() ? 1 : parallelism;
        this.compressors = new ArrayBlockingQueue<>(threads);
        for (int i = 0; i < threads; i++) {
            compressors.add(codec.newCompressor());
        }
        if (threads > 1) {
            this.executor = Executors.newFixedThreadPool(parallelism, Threads.named("jstargz-compress"));
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
            nextDictionary = codec.continuesWithDictionary() && !codec.streaming() ? tail(open) : null;
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
        MemberCodec.Compressor c;
        try {
            c = compressors.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while compressing");
        }
        try {
            byte[] out = freeOutputs.poll();
            ByteBuf compressed = new ByteBuf(out != null ? out : new byte[OUTPUT_SIZE]);
            batch.compressed = compressed;
            for (Piece p : batch.pieces) {
                p.compressedOffset = compressed.size();
                codec.compress(c, batch.data, p.off, p.len, p.dictionary, codec.streaming() && !p.memberStart,
                        p.last, compressed);
                p.compressedLength = compressed.size() - p.compressedOffset;
            }
            return batch;
        } finally {
            compressors.add(c);
        }
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
                byte[] header = codec.header();
                emit(header, 0, header.length);
            }
            emit(batch.compressed.array(), p.compressedOffset, p.compressedLength);
            if (p.last) {
                byte[] trailer = codec.trailer(p.crc, p.isize);
                emit(trailer, 0, trailer.length);
            }
        }
        freeInputs.offer(batch.data);
        if (batch.compressed.array().length == OUTPUT_SIZE) {
            freeOutputs.offer(batch.compressed.array());
        }
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
        syncFlush();
        freeInputs.clear();
        freeOutputs.clear();
    }

    /**
     * Compresses and writes everything written so far but leaves the open member open: its piece ends with a sync
     * flush, as Go's {@code gzip.Writer.Flush} does. Returns the compressed size, now exact.
     */
    long syncFlush() throws IOException {
        if (open != null || !pieces.isEmpty()) {
            submit();
        }
        while (!inFlight.isEmpty()) {
            writeOut(await(inFlight.poll()));
        }
        return compressedSize;
    }

    /**
     * {@code data} compressed as one member of its own, aside from the stream: it is not written, and counts in
     * neither size nor digest (zstd:chunked's TOC, which its format writes in a skippable frame).
     */
    byte[] compressAside(byte[] data) {
        ByteBuf out = new ByteBuf(data.length / 4 + 64);
        out.append(codec.header());
        try (MemberCodec.Compressor c = codec.newCompressor()) {
            codec.compress(c, data, 0, data.length, null, false, true, out);
        }
        CRC32 crc = new CRC32();
        crc.update(data);
        out.append(codec.trailer(crc.getValue(), data.length & 0xffffffffL));
        return out.toByteArray();
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
        for (MemberCodec.Compressor c : compressors) {
            c.close();
        }
    }
}
