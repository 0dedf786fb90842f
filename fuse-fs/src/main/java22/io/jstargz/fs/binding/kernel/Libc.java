package io.jstargz.fs.binding.kernel;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The few C library calls the kernel binding makes, through the FFM API. Each call that can fail captures
 * {@code errno} into a caller-supplied state segment ({@link #newCallState}), so a worker thread reuses one segment
 * for all its calls instead of allocating per call.
 */
final class Libc {
    static final int O_RDONLY = 0;
    static final int O_RDWR = 2;
    static final int O_CLOEXEC = 02000000;
    static final long MS_RDONLY = 1;
    static final long MS_NODEV = 4;
    static final long MS_NOATIME = 1024;
    static final int AF_UNIX = 1;
    static final int SOCK_DGRAM = 2;
    static final int SOCK_CLOEXEC = 02000000;
    static final int MSG_CMSG_CLOEXEC = 0x40000000;

    static final int ENOENT = 2;
    static final int EINTR = 4;
    static final int EIO = 5;
    static final int EBADF = 9;
    static final int EAGAIN = 11;
    static final int ENODEV = 19;
    static final int ENOTDIR = 20;
    static final int EISDIR = 21;
    static final int EINVAL = 22;
    static final int EROFS = 30;
    static final int ERANGE = 34;
    static final int ENOSYS = 38;
    static final int ENODATA = 61;
    static final int EPROTO = 71;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    private static final MethodHandle OPEN = function("open", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.JAVA_INT), CAPTURE_ERRNO, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle CLOSE = function("close",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle READ = function("read", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG), CAPTURE_ERRNO);
    private static final MethodHandle WRITE = function("write", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG), CAPTURE_ERRNO);
    private static final MethodHandle IOCTL = function("ioctl", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS), CAPTURE_ERRNO,
            Linker.Option.firstVariadicArg(2));
    private static final MethodHandle MOUNT = function("mount", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
            ValueLayout.ADDRESS), CAPTURE_ERRNO);
    private static final MethodHandle SOCKET = function("socket", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT), CAPTURE_ERRNO);
    private static final MethodHandle BIND = function("bind", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT), CAPTURE_ERRNO);
    private static final MethodHandle SENDMSG = function("sendmsg", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT), CAPTURE_ERRNO);
    private static final MethodHandle RECVMSG = function("recvmsg", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT), CAPTURE_ERRNO);
    private static final MethodHandle GETEUID = function("geteuid", FunctionDescriptor.of(ValueLayout.JAVA_INT));
    private static final MethodHandle GETEGID = function("getegid", FunctionDescriptor.of(ValueLayout.JAVA_INT));
    private static final MethodHandle STRERROR = function("strerror",
            FunctionDescriptor.of(ValueLayout.ADDRESS.withTargetLayout(MemoryLayout.sequenceLayout(256,
                    ValueLayout.JAVA_BYTE)), ValueLayout.JAVA_INT));

    private Libc() {
    }

    private static MethodHandle function(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        MemorySegment address = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("the C library has no " + name));
        return LINKER.downcallHandle(address, descriptor, options);
    }

    /** A segment that receives {@code errno} of the calls it is passed to; one per thread. */
    static MemorySegment newCallState(Arena arena) {
        return arena.allocate(CALL_STATE);
    }

    /** The {@code errno} of the last failed call made with {@code state}. */
    static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    static int open(MemorySegment state, MemorySegment path, int flags) {
        try {
            return (int) OPEN.invokeExact(state, path, flags);
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    static int close(int fd) {
        try {
            return (int) CLOSE.invokeExact(fd);
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    static long read(MemorySegment state, int fd, MemorySegment buffer, long size) {
        try {
            return (long) READ.invokeExact(state, fd, buffer, size);
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    static long write(MemorySegment state, int fd, MemorySegment buffer, long size) {
        try {
            return (long) WRITE.invokeExact(state, fd, buffer, size);
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    static int ioctl(MemorySegment state, int fd, long request, MemorySegment argument) {
        try {
            return (int) IOCTL.invokeExact(state, fd, request, argument);
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    static int mount(MemorySegment state, MemorySegment source, MemorySegment target, MemorySegment type,
                     long flags, MemorySegment data) {
        try {
            return (int) MOUNT.invokeExact(state, source, target, type, flags, data);
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    static int socket(MemorySegment state, int domain, int type, int protocol) {
        try {
            return (int) SOCKET.invokeExact(state, domain, type, protocol);
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    static int bind(MemorySegment state, int fd, MemorySegment address, int length) {
        try {
            return (int) BIND.invokeExact(state, fd, address, length);
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    static long sendmsg(MemorySegment state, int fd, MemorySegment message, int flags) {
        try {
            return (long) SENDMSG.invokeExact(state, fd, message, flags);
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    static long recvmsg(MemorySegment state, int fd, MemorySegment message, int flags) {
        try {
            return (long) RECVMSG.invokeExact(state, fd, message, flags);
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    static int geteuid() {
        try {
            return (int) GETEUID.invokeExact();
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    static int getegid() {
        try {
            return (int) GETEGID.invokeExact();
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    /** An error for a failed call: {@code what} failed, with the C library's text for {@code errno}. */
    static IOException error(String what, int errno) {
        String text;
        try {
            text = ((MemorySegment) STRERROR.invokeExact(errno)).getString(0);
        } catch (Throwable t) {
            text = "error";
        }
        return new IOException(what + ": " + text + " (errno " + errno + ")");
    }

    private static RuntimeException rethrown(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }
}
