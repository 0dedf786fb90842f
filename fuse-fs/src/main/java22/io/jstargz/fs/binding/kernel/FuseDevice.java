package io.jstargz.fs.binding.kernel;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One FUSE connection's end in this process: the {@code /dev/fuse} descriptor that mount(2) was given. It is owned
 * by this object alone and nobody reads requests from it: each worker reads from its own clone
 * ({@code FUSE_DEV_IOC_CLONE}, {@link #newChannel}). The connection lives as long as any of these descriptors is
 * open, so whoever holds this one (a successor process, a supervisor) keeps the mount alive while workers come and
 * go, and the requests a dying worker had read end with an error instead of hanging.
 */
final class FuseDevice implements AutoCloseable {
    private static final String PATH = "/dev/fuse";
    /** {@code _IOR(229, 0, uint32_t)}. */
    private static final long IOC_CLONE = 0x8004E500L;

    private final int fd;
    private final AtomicBoolean closed = new AtomicBoolean();

    private FuseDevice(int fd) {
        this.fd = fd;
    }

    /** Opens {@code /dev/fuse} for a new connection (not inherited by child processes). */
    static FuseDevice open() throws IOException {
        return new FuseDevice(openDevice());
    }

    /** The descriptor, for mount(2)'s {@code fd=} option. */
    int fd() {
        return fd;
    }

    /**
     * A channel of this connection for one worker, allocated in {@code arena} (the worker's): a clone of the device
     * where the kernel allows one, else the device itself.
     */
    FuseChannel newChannel(Arena arena) throws IOException {
        MemorySegment state = Libc.newCallState(arena);
        int clone = openDevice();
        MemorySegment master = arena.allocate(ValueLayout.JAVA_INT);
        master.set(ValueLayout.JAVA_INT, 0, fd);
        if (Libc.ioctl(state, clone, IOC_CLONE, master) != 0) {
            int errno = Libc.errno(state);
            Libc.close(clone);
            throw Libc.error("cloning the FUSE device", errno);
        }
        return new FuseChannel(clone, state);
    }

    private static int openDevice() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.newCallState(arena);
            int fd = Libc.open(state, arena.allocateFrom(PATH), Libc.O_RDWR | Libc.O_CLOEXEC);
            if (fd < 0) {
                throw Libc.error("opening " + PATH, Libc.errno(state));
            }
            return fd;
        }
    }

    /** Closes the descriptor; the connection ends once every channel is closed too. Closing twice is harmless. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            Libc.close(fd);
        }
    }
}
