package io.jstargz.fs.binding.kernel;

import static io.jstargz.fs.binding.kernel.FuseProtocol.OUT_ERROR;
import static io.jstargz.fs.binding.kernel.FuseProtocol.OUT_HEADER_SIZE;
import static io.jstargz.fs.binding.kernel.FuseProtocol.OUT_LEN;
import static io.jstargz.fs.binding.kernel.FuseProtocol.OUT_UNIQUE;

import io.jstargz.fs.binding.MountOptions;
import io.jstargz.fs.binding.OperationStats;
import io.jstargz.fs.binding.ReadTarget;
import io.jstargz.io.FileRanges;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One worker's replies: a header and a payload in one buffer, written to the worker's channel in one call. Small
 * replies (everything but large reads) use the worker's own buffer; a read larger than that borrows one of the
 * process-wide read buffers, which are kept for reuse up to a few idle ones, so a mount's workers do not each hold
 * a megabyte they rarely use. Also the {@link ReadTarget} of reads: the filesystem copies file bytes straight into
 * the reply.
 *
 * <p>A large read borrows its buffer at its first byte ({@link #put}), not when it starts: the filesystem hands over
 * the bytes only once it has them all, so a read waiting for the registry holds no buffer. Under load (twenty
 * mounts, sixteen readers) most reads wait for a fetch; each held a megabyte while it waited.
 */
final class ReplyWriter implements ReadTarget {
    /** Payload room of each worker's own buffer: directory pages, xattrs, and reads up to this size. */
    static final int SMALL_PAYLOAD = 128 * 1024;
    private static final int LARGE_SIZE = OUT_HEADER_SIZE + MountOptions.MAX_READ;
    private static final int IDLE_LARGE_KEPT = 8;
    private static final ConcurrentLinkedDeque<MemorySegment> IDLE_LARGE = new ConcurrentLinkedDeque<>();
    private static final AtomicInteger IDLE_LARGE_COUNT = new AtomicInteger();

    private final FuseChannel channel;
    private final MemorySegment small;
    private MemorySegment current;
    /** A started read is larger than {@link #small} and borrows a large buffer at its first byte. */
    private boolean largeDue;
    private long unique;
    private OperationStats.Counter counter;
    private long startNanos;

    ReplyWriter(FuseChannel channel, Arena arena) {
        this.channel = channel;
        this.small = arena.allocate(OUT_HEADER_SIZE + SMALL_PAYLOAD, 4096);
        this.current = small;
    }

    /** The request now served, counted under {@code counter} once answered (see {@link #counted}). */
    void serving(OperationStats.Counter counter, long startNanos) {
        this.counter = counter;
        this.startNanos = startNanos;
    }

    /**
     * Counts the request being served, once: just before its reply is written (whoever gets the answer finds it
     * counted), or when it needs no reply.
     */
    void counted() {
        if (counter != null) {
            counter.record(startNanos);
            counter = null;
        }
    }

    /**
     * Starts the reply to request {@code unique} with room for {@code capacity} payload bytes (at most
     * {@link #SMALL_PAYLOAD}); the payload is written at {@link FuseProtocol#OUT_HEADER_SIZE} of the returned
     * buffer.
     */
    MemorySegment start(long unique, int capacity) {
        if (capacity > SMALL_PAYLOAD) {
            throw new IllegalArgumentException("a reply of " + capacity + " bytes is a read's (startRead)");
        }
        release();
        this.unique = unique;
        return current;
    }

    /**
     * Starts the reply to a read of up to {@code size} bytes (at most {@link MountOptions#MAX_READ}), filled through
     * {@link #put}.
     */
    void startRead(long unique, int size) {
        release();
        this.unique = unique;
        largeDue = size > SMALL_PAYLOAD;
    }

    private static MemorySegment borrowLarge() {
        MemorySegment b = IDLE_LARGE.pollFirst();
        if (b == null) {
            return Arena.ofAuto().allocate(LARGE_SIZE, 4096);
        }
        IDLE_LARGE_COUNT.decrementAndGet();
        return b;
    }

    /** Sends the started reply with {@code payloadLength} payload bytes. */
    void send(int payloadLength) throws IOException {
        int length = OUT_HEADER_SIZE + payloadLength;
        current.set(ValueLayout.JAVA_INT, OUT_LEN, length);
        current.set(ValueLayout.JAVA_INT, OUT_ERROR, 0);
        current.set(ValueLayout.JAVA_LONG, OUT_UNIQUE, unique);
        counted();
        try {
            channel.write(current, length);
        } finally {
            release();
        }
    }

    /** Replies to {@code unique} with success and no payload. */
    void ok(long unique) throws IOException {
        start(unique, 0);
        send(0);
    }

    /** Replies to {@code unique} with error {@code errno}. */
    void error(long unique, int errno) throws IOException {
        release();
        small.set(ValueLayout.JAVA_INT, OUT_LEN, OUT_HEADER_SIZE);
        small.set(ValueLayout.JAVA_INT, OUT_ERROR, -errno);
        small.set(ValueLayout.JAVA_LONG, OUT_UNIQUE, unique);
        counted();
        channel.write(small, OUT_HEADER_SIZE);
    }

    @Override
    public void put(int at, byte[] src, int srcOffset, int length) {
        MemorySegment.copy(src, srcOffset, payload(), ValueLayout.JAVA_BYTE, OUT_HEADER_SIZE + at, length);
    }

    @Override
    public void put(int at, FileChannel file, long position, int length) throws IOException {
        FileRanges.readFully(file, position, payload().asSlice(OUT_HEADER_SIZE + at, length).asByteBuffer());
    }

    /** The buffer the payload goes to: a large read's borrowed at its first byte. */
    private MemorySegment payload() {
        if (largeDue) {
            current = borrowLarge();
            largeDue = false;
        }
        return current;
    }

    /** Gives back a borrowed read buffer (after a reply, or when a request failed before its reply). */
    void release() {
        largeDue = false;
        if (current != small) {
            if (IDLE_LARGE_COUNT.incrementAndGet() <= IDLE_LARGE_KEPT) {
                IDLE_LARGE.offerFirst(current);
            } else {
                IDLE_LARGE_COUNT.decrementAndGet(); // dropped: its arena frees it once unreachable
            }
            current = small;
        }
    }
}
