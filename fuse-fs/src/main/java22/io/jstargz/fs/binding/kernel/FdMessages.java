package io.jstargz.fs.binding.kernel;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;

/**
 * Datagrams with file descriptors attached ({@code SCM_RIGHTS}) on unix sockets: how a FUSE connection's descriptor
 * leaves this process for one that keeps it, and comes back. systemd's file descriptor store takes them this way on
 * {@code $NOTIFY_SOCKET} ({@code FDSTORE=1}), so one protocol serves the store and a handover to a new daemon. A
 * socket path starting with {@code @} is in the abstract namespace, as {@code $NOTIFY_SOCKET} may be.
 */
final class FdMessages {
    /** At most this many descriptors travel in one message (the kernel's {@code SCM_MAX_FD}). */
    static final int MAX_FDS = 253;
    private static final int SCM_RIGHTS = 1;
    /** {@code struct sockaddr_un}: a short family and 108 bytes of path. */
    private static final int SOCKADDR_UN_SIZE = 110;
    /** {@code struct msghdr} on 64-bit Linux, and its fields' offsets. */
    private static final int MSGHDR_SIZE = 56;
    private static final int CMSG_HEADER = 16;
    /** Room for a handed-over connection's open inodes ({@code OPEN_INODES=}, a few thousand). */
    private static final int MAX_TEXT = 64 * 1024;

    /** A message received: its text and the descriptors it carried, now open in this process (close-on-exec). */
    record Message(String text, int[] fds) {
    }

    private FdMessages() {
    }

    /** Sends {@code text} with {@code fds} attached to the datagram socket bound at {@code socket}. */
    static void send(String socket, String text, int... fds) throws IOException {
        if (fds.length > MAX_FDS) {
            throw new IllegalArgumentException(fds.length + " descriptors in one message; at most " + MAX_FDS);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.newCallState(arena);
            int fd = Libc.socket(state, Libc.AF_UNIX, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
            if (fd < 0) {
                throw Libc.error("creating a unix socket", Libc.errno(state));
            }
            try {
                MemorySegment address = arena.allocate(SOCKADDR_UN_SIZE, 8);
                int addressLength = address(address, socket);
                byte[] body = text.getBytes(StandardCharsets.UTF_8);
                MemorySegment data = arena.allocate(Math.max(1, body.length));
                MemorySegment.copy(body, 0, data, ValueLayout.JAVA_BYTE, 0, body.length);
                long controlSize = fds.length == 0 ? 0 : space(fds.length);
                MemorySegment control = fds.length == 0 ? MemorySegment.NULL : arena.allocate(controlSize, 8);
                if (fds.length > 0) {
                    control.set(ValueLayout.JAVA_LONG, 0, CMSG_HEADER + 4L * fds.length);
                    control.set(ValueLayout.JAVA_INT, 8, Libc.SOL_SOCKET);
                    control.set(ValueLayout.JAVA_INT, 12, SCM_RIGHTS);
                    for (int i = 0; i < fds.length; i++) {
                        control.set(ValueLayout.JAVA_INT, CMSG_HEADER + 4L * i, fds[i]);
                    }
                }
                MemorySegment message = header(arena, address, addressLength, data, body.length, control,
                        controlSize);
                if (Libc.sendmsg(state, fd, message, 0) < 0) {
                    throw Libc.error("sending " + fds.length + " descriptors to " + socket, Libc.errno(state));
                }
            } finally {
                Libc.close(fd);
            }
        }
    }

    /** A bound datagram socket that receives messages with descriptors. */
    static final class Inbox implements AutoCloseable {
        private final int fd;
        private final Path path;

        private Inbox(int fd, Path path) {
            this.fd = fd;
            this.path = path;
        }

        /** Binds a new socket at {@code path} (a file that must not exist yet), for its owner only (mode 0600). */
        static Inbox bind(Path path) throws IOException {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment state = Libc.newCallState(arena);
                int fd = Libc.socket(state, Libc.AF_UNIX, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
                if (fd < 0) {
                    throw Libc.error("creating a unix socket", Libc.errno(state));
                }
                MemorySegment address = arena.allocate(SOCKADDR_UN_SIZE, 8);
                int length = address(address, path.toString());
                if (Libc.bind(state, fd, address, length) != 0) {
                    int errno = Libc.errno(state);
                    Libc.close(fd);
                    throw Libc.error("binding a unix socket at " + path, errno);
                }
                Inbox inbox = new Inbox(fd, path);
                try {
                    Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
                } catch (IOException | RuntimeException e) {
                    inbox.close();
                    throw e;
                }
                return inbox;
            }
        }

        /**
         * Waits for the next message, at most {@code timeout} ({@link Duration#ZERO}: for ever). Descriptors beyond
         * {@link #MAX_FDS} are dropped by the kernel.
         *
         * @throws SocketTimeoutException if no message came in time
         */
        Message receive(Duration timeout) throws IOException {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment state = Libc.newCallState(arena);
                MemorySegment timeval = arena.allocate(16, 8);
                timeval.set(ValueLayout.JAVA_LONG, 0, timeout.toSeconds());
                timeval.set(ValueLayout.JAVA_LONG, 8, timeout.toMillisPart() * 1000L);
                if (Libc.setsockopt(state, fd, Libc.SOL_SOCKET, Libc.SO_RCVTIMEO, timeval) != 0) {
                    throw Libc.error("setting the receive timeout of " + path, Libc.errno(state));
                }
                MemorySegment data = arena.allocate(MAX_TEXT);
                long controlSize = space(MAX_FDS);
                MemorySegment control = arena.allocate(controlSize, 8);
                MemorySegment message = header(arena, MemorySegment.NULL, 0, data, MAX_TEXT, control, controlSize);
                long n;
                while ((n = Libc.recvmsg(state, fd, message, Libc.MSG_CMSG_CLOEXEC)) < 0) {
                    int errno = Libc.errno(state);
                    if (errno == Libc.EAGAIN) {
                        throw new SocketTimeoutException("no message on " + path + " within " + timeout);
                    }
                    if (errno != Libc.EINTR) {
                        throw Libc.error("receiving on " + path, errno);
                    }
                }
                String text = new String(data.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
                return new Message(text, descriptors(control, message.get(ValueLayout.JAVA_LONG, 40)));
            }
        }

        @Override
        public void close() throws IOException {
            Libc.close(fd);
            Files.deleteIfExists(path);
        }
    }

    private static int[] descriptors(MemorySegment control, long length) {
        int[] out = new int[0];
        for (long off = 0; off + CMSG_HEADER <= length; ) {
            long len = control.get(ValueLayout.JAVA_LONG, off);
            if (len < CMSG_HEADER) {
                break;
            }
            if (control.get(ValueLayout.JAVA_INT, off + 8) == Libc.SOL_SOCKET
                    && control.get(ValueLayout.JAVA_INT, off + 12) == SCM_RIGHTS) {
                int count = (int) ((len - CMSG_HEADER) / 4);
                int at = out.length;
                out = Arrays.copyOf(out, at + count);
                for (int i = 0; i < count; i++) {
                    out[at + i] = control.get(ValueLayout.JAVA_INT, off + CMSG_HEADER + 4L * i);
                }
            }
            off += (len + 7) & ~7L;
        }
        return out;
    }

    /** {@code CMSG_SPACE} of {@code fds} descriptors. */
    private static long space(int fds) {
        return CMSG_HEADER + ((4L * fds + 7) & ~7L);
    }

    /** Fills {@code struct sockaddr_un} for {@code socket}; returns the length to pass with it. */
    private static int address(MemorySegment address, String socket) {
        byte[] path = socket.getBytes(StandardCharsets.UTF_8);
        boolean abstractName = path.length > 0 && path[0] == '@';
        if (path.length >= SOCKADDR_UN_SIZE - 2) {
            throw new IllegalArgumentException("unix socket path too long: " + socket);
        }
        address.fill((byte) 0);
        address.set(ValueLayout.JAVA_SHORT, 0, (short) Libc.AF_UNIX);
        MemorySegment.copy(path, 0, address, ValueLayout.JAVA_BYTE, 2, path.length);
        if (abstractName) {
            address.set(ValueLayout.JAVA_BYTE, 2, (byte) 0);
            return 2 + path.length;
        }
        return 2 + path.length + 1;
    }

    private static MemorySegment header(Arena arena, MemorySegment address, int addressLength, MemorySegment data,
                                        long dataLength, MemorySegment control, long controlLength) {
        MemorySegment iov = arena.allocate(16, 8);
        iov.set(ValueLayout.ADDRESS, 0, data);
        iov.set(ValueLayout.JAVA_LONG, 8, dataLength);
        MemorySegment m = arena.allocate(MSGHDR_SIZE, 8);
        m.set(ValueLayout.ADDRESS, 0, address);
        m.set(ValueLayout.JAVA_INT, 8, addressLength);
        m.set(ValueLayout.ADDRESS, 16, iov);
        m.set(ValueLayout.JAVA_LONG, 24, 1);
        m.set(ValueLayout.ADDRESS, 32, control);
        m.set(ValueLayout.JAVA_LONG, 40, controlLength);
        m.set(ValueLayout.JAVA_INT, 48, 0);
        return m;
    }
}
