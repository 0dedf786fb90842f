package io.jstargz.snapshotter.systemd;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * systemd's readiness protocol: one datagram to {@code $NOTIFY_SOCKET} (a no-op when not run by systemd); also the
 * datagrams of a handover between two daemons. The JDK's
 * unix-domain channels are stream sockets only, so the datagram goes through libc ({@code socket(2)},
 * {@code sendto(2)}) with jnr-ffi, which the daemon already loads for {@code umount2(2)} and which runs on every JDK.
 */
public final class SdNotify {
    private static final Logger LOG = LoggerFactory.getLogger(SdNotify.class);
    private static final int AF_UNIX = 1;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_CLOEXEC = 0x80000;
    /** {@code sizeof(sockaddr_un.sun_path)} on Linux. */
    private static final int SUN_PATH = 108;

    /** The libc functions used; public only because jnr-ffi implements it. */
    public interface LibC {
        @SaveError
        int socket(int domain, int type, int protocol);

        @SaveError
        @ssize_t long sendto(int fd, @In byte[] buf, @size_t long len, int flags, @In byte[] addr, int addrlen);

        int close(int fd);

        String strerror(int errno);
    }

    private static final LibC LIBC = LibraryLoader.create(LibC.class).load("c");

    private SdNotify() {
    }

    /**
     * Sends {@code state} (e.g. {@code READY=1}) to {@code $NOTIFY_SOCKET}; returns whether it was sent. Failures
     * are logged, not thrown.
     */
    public static boolean notify(String state) {
        return notify(System.getenv("NOTIFY_SOCKET"), state);
    }

    /** Sends {@code state} to the notification socket {@code socket} ({@code null} or empty: nothing to do). */
    public static boolean notify(String socket, String state) {
        if (socket == null || socket.isEmpty()) {
            return false;
        }
        try {
            send(socket, state);
            return true;
        } catch (IOException e) {
            LOG.warn("cannot notify systemd: {}", e.getMessage());
            return false;
        }
    }

    /**
     * Sends {@code message} as one datagram to the unix socket {@code socket} (a path, or {@code @name} in the
     * abstract namespace).
     *
     * @throws IOException if it cannot be sent (the message names the socket and the error)
     */
    public static void send(String socket, String message) throws IOException {
        byte[] address = address(socket);
        if (address == null) {
            throw new IOException("cannot send to " + socket + ": the path is longer than " + (SUN_PATH - 1)
                    + " bytes");
        }
        int fd = LIBC.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw new IOException("cannot send to " + socket + ": socket: " + lastError());
        }
        try {
            byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
            if (LIBC.sendto(fd, bytes, bytes.length, 0, address, address.length) != bytes.length) {
                throw new IOException("cannot send to " + socket + ": sendto: " + lastError());
            }
        } finally {
            LIBC.close(fd);
        }
    }

    /**
     * A {@code sockaddr_un} for {@code socket}, as long as it needs to be: a path ends with a NUL; {@code @name} is an
     * abstract socket, whose address starts with a NUL and is exactly as long as the name. Null if it does not fit.
     */
    static byte[] address(String socket) {
        boolean isAbstract = socket.startsWith("@");
        byte[] name = (isAbstract ? socket.substring(1) : socket).getBytes(StandardCharsets.UTF_8);
        int pathBytes = name.length + 1; // the abstract socket's leading NUL, or the path's trailing one
        if (pathBytes > SUN_PATH) {
            return null;
        }
        ByteBuffer b = ByteBuffer.allocate(2 + pathBytes).order(ByteOrder.nativeOrder());
        b.putShort((short) AF_UNIX);
        if (isAbstract) {
            b.put((byte) 0).put(name);
        } else {
            b.put(name).put((byte) 0);
        }
        return b.array();
    }

    private static String lastError() {
        int errno = LastError.getLastError(Runtime.getRuntime(LIBC));
        return LIBC.strerror(errno) + " (errno " + errno + ")";
    }
}
