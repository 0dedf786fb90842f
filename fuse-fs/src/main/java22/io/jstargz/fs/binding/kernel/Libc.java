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
    static final int SOL_SOCKET = 1;
    static final int SO_RCVTIMEO = 20;

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
    private static final MethodHandle SETSOCKOPT = function("setsockopt", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
            ValueLayout.JAVA_INT), CAPTURE_ERRNO);
    private static final MethodHandle SIGACTION = function("sigaction", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS), CAPTURE_ERRNO);
    private static final MethodHandle TGKILL = function("tgkill", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT), CAPTURE_ERRNO);
    private static final MethodHandle GETTID = function("gettid", FunctionDescriptor.of(ValueLayout.JAVA_INT));
    private static final MethodHandle GETPID = function("getpid", FunctionDescriptor.of(ValueLayout.JAVA_INT));
    private static final MethodHandle SIGRTMIN = function("__libc_current_sigrtmin",
            FunctionDescriptor.of(ValueLayout.JAVA_INT));
    private static final MethodHandle GETEUID = function("geteuid", FunctionDescriptor.of(ValueLayout.JAVA_INT));
    private static final MethodHandle GETEGID = function("getegid", FunctionDescriptor.of(ValueLayout.JAVA_INT));
    private static final MethodHandle STRERROR = function("strerror",
            FunctionDescriptor.of(ValueLayout.ADDRESS.withTargetLayout(MemoryLayout.sequenceLayout(256,
                    ValueLayout.JAVA_BYTE)), ValueLayout.JAVA_INT));

    private Libc() {
    }

    private static MethodHandle function(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        return LINKER.downcallHandle(address(name), descriptor, options);
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

    static int setsockopt(MemorySegment state, int fd, int level, int name, MemorySegment value) {
        try {
            return (int) SETSOCKOPT.invokeExact(state, fd, level, name, value, (int) value.byteSize());
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    static int sigaction(MemorySegment state, int signal, MemorySegment action, MemorySegment old) {
        try {
            return (int) SIGACTION.invokeExact(state, signal, action, old);
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    static int tgkill(MemorySegment state, int pid, int tid, int signal) {
        try {
            return (int) TGKILL.invokeExact(state, pid, tid, signal);
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    static int gettid() {
        try {
            return (int) GETTID.invokeExact();
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    static int getpid() {
        try {
            return (int) GETPID.invokeExact();
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    /** The first real-time signal the C library leaves to applications ({@code SIGRTMIN}). */
    static int sigrtmin() {
        try {
            return (int) SIGRTMIN.invokeExact();
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    /** The address of the C library's function {@code name}. */
    static MemorySegment address(String name) {
        return LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("the C library has no " + name));
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
