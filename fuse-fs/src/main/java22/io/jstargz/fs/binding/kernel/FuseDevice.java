package io.jstargz.fs.binding.kernel;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
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
    /** {@code _IOW(229, 1, struct fuse_backing_map)}. */
    private static final long IOC_BACKING_OPEN = 0x4010E501L;
    /** {@code _IOW(229, 2, uint32_t)}. */
    private static final long IOC_BACKING_CLOSE = 0x4004E502L;
    /** {@code struct fuse_backing_map}: fd, flags, padding. */
    private static final int BACKING_MAP_SIZE = 16;

    private final int fd;
    private final AtomicBoolean closed = new AtomicBoolean();

    private FuseDevice(int fd) {
        this.fd = fd;
    }

    /** Opens {@code /dev/fuse} for a new connection (not inherited by child processes). */
    static FuseDevice open() throws IOException {
        return new FuseDevice(openDevice());
    }

    /** The descriptor {@code fd} of a connection another process made, received by this one. */
    static FuseDevice adopt(int fd) {
        return new FuseDevice(fd);
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

    /**
     * Registers {@code file} as a backing file with the kernel (FUSE passthrough).
     *
     * @return its backing id, for the replies to opens that pass through to it
     */
    int openBacking(Path file) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.newCallState(arena);
            int backing = Libc.open(state, arena.allocateFrom(file.toString()), Libc.O_RDONLY | Libc.O_CLOEXEC);
            if (backing < 0) {
                throw Libc.error("opening " + file, Libc.errno(state));
            }
            try {
                MemorySegment map = arena.allocate(BACKING_MAP_SIZE, 8);
                map.set(ValueLayout.JAVA_INT, 0, backing);
                int id = Libc.ioctl(state, fd, IOC_BACKING_OPEN, map);
                if (id < 0) {
                    throw Libc.error("registering " + file + " as a FUSE backing file", Libc.errno(state));
                }
                return id;
            } finally {
                Libc.close(backing); // the kernel holds the file from now on
            }
        }
    }

    /** Unregisters a backing id; files opened with it keep their backing file until closed. */
    void closeBacking(int id) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.newCallState(arena);
            MemorySegment arg = arena.allocate(ValueLayout.JAVA_INT);
            arg.set(ValueLayout.JAVA_INT, 0, id);
            if (Libc.ioctl(state, fd, IOC_BACKING_CLOSE, arg) != 0) {
                throw Libc.error("unregistering FUSE backing id " + id, Libc.errno(state));
            }
        }
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
