package io.jstargz.fs.binding.kernel;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Ends a worker's wait in read(2) on {@code /dev/fuse} without taking a request: a signal whose handler is installed
 * without {@code SA_RESTART} makes the kernel give up the wait with EINTR before it dequeues anything, so the request
 * that would have come stays queued for whoever reads next (the daemon taking over). Closing the descriptor would not
 * wake the thread, and polling the device before each read would wake every idle worker for each request.
 *
 * <p>The signal is the C library's first real-time one ({@code SIGRTMIN}), which the JVM leaves alone. Its handler
 * must be native code that is safe in a signal handler and ignores its argument: {@code getpid} is, so its address is
 * the handler, and no Java runs on the signal. It is installed once, before the first signal is sent: a real-time
 * signal without a handler would end the process.
 */
final class ReadInterrupts {
    /** {@code struct sigaction} on 64-bit Linux: handler, 128 bytes of mask, flags (then padding), restorer. */
    private static final int SIGACTION_SIZE = 152;
    private static final int SIGACTION_FLAGS = 136;
    private static final int ESRCH = 3;
    private static final int PID = Libc.getpid();
    private static volatile int signal;

    private ReadInterrupts() {
    }

    /** The calling thread's kernel id, to interrupt its reads later. */
    static int currentThread() {
        return Libc.gettid();
    }

    /**
     * Interrupts thread {@code tid}'s wait in read(2), if it is waiting; a signal that comes before the thread reads
     * is lost, so whoever waits for the thread sends it again until it answers.
     */
    static void interrupt(int tid) throws IOException {
        int sig = installed();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.newCallState(arena);
            if (Libc.tgkill(state, PID, tid, sig) != 0 && Libc.errno(state) != ESRCH) { // ESRCH: it has just left
                throw Libc.error("signalling FUSE worker thread " + tid, Libc.errno(state));
            }
        }
    }

    private static int installed() throws IOException {
        int sig = signal;
        if (sig != 0) {
            return sig;
        }
        synchronized (ReadInterrupts.class) {
            if (signal == 0) {
                signal = install(Libc.sigrtmin());
            }
            return signal;
        }
    }

    private static int install(int sig) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.newCallState(arena);
            MemorySegment action = arena.allocate(SIGACTION_SIZE, 8);
            action.fill((byte) 0); // an empty mask, and flags without SA_RESTART
            action.set(ValueLayout.ADDRESS, 0, Libc.address("getpid"));
            action.set(ValueLayout.JAVA_INT, SIGACTION_FLAGS, 0);
            if (Libc.sigaction(state, sig, action, MemorySegment.NULL) != 0) {
                throw Libc.error("installing the handler of signal " + sig, Libc.errno(state));
            }
            return sig;
        }
    }
}
