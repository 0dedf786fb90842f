package io.jstargz.fs.binding.kernel;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * One worker's descriptor of a FUSE connection: it reads requests and writes their replies on it (the kernel
 * expects a reply on the descriptor its request was read from). Used by one thread only.
 */
final class FuseChannel implements AutoCloseable {
    /** {@link #read}: the connection is gone. */
    static final int GONE = -1;
    /** {@link #read}: the wait was interrupted ({@link ReadInterrupts}) before a request came. */
    static final int INTERRUPTED = -2;
    private final int fd;
    private final MemorySegment state;

    FuseChannel(int fd, MemorySegment state) {
        this.fd = fd;
        this.state = state;
    }

    /**
     * Waits for the next request and reads it into {@code buffer}.
     *
     * @return its length, {@link #GONE} once the connection is gone (unmounted or aborted), or {@link #INTERRUPTED}
     * @throws IOException if the device fails otherwise
     */
    int read(MemorySegment buffer) throws IOException {
        while (true) {
            long n = Libc.read(state, fd, buffer, buffer.byteSize());
            if (n >= 0) {
                return (int) n;
            }
            int errno = Libc.errno(state);
            if (errno == Libc.ENODEV) {
                return GONE;
            }
            if (errno == Libc.EINTR) {
                return INTERRUPTED;
            }
            // ENOENT: the request was interrupted while it was read; EAGAIN: another reader won
            if (errno != Libc.ENOENT && errno != Libc.EAGAIN) {
                throw Libc.error("reading the FUSE device", errno);
            }
        }
    }

    /**
     * Writes a reply of {@code length} bytes from the start of {@code buffer}. A reply to a request the kernel no
     * longer waits for (interrupted, or the connection is gone) is dropped.
     *
     * @throws IOException if the kernel refused the reply as malformed
     */
    void write(MemorySegment buffer, int length) throws IOException {
        while (true) {
            long n = Libc.write(state, fd, buffer, length);
            if (n >= 0) {
                return;
            }
            int errno = Libc.errno(state);
            if (errno == Libc.ENOENT || errno == Libc.ENODEV) {
                return;
            }
            if (errno != Libc.EINTR) {
                throw Libc.error("writing a FUSE reply of " + length + " bytes", errno);
            }
        }
    }

    @Override
    public void close() {
        Libc.close(fd);
    }
}
