package io.jstargz.concurrent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.In;

/**
 * The threads jstargz starts: all daemon threads (none keeps a JVM alive that is shutting down) with names that say
 * whose they are in a thread dump.
 *
 * <p>Background threads (fetching the rest of a layer, copying files for passthrough, writing cached chunks to disk)
 * and the JIT's compiler threads run under Linux's idle scheduling policy ({@code SCHED_IDLE}): they decompress,
 * verify, write and compile hundreds of MiB's worth while a container starts on the same cores, and the container's
 * own start must win. Nice 19, which they had before, could let such a thread keep a core to the end of its time
 * slice after containerd, runc or a FUSE handler woke up wanting it; the kernel preempts an idle-policy thread at
 * once. Where the kernel refuses the policy, the thread gets nice 19. The JVM ignores {@link Thread#setPriority} on
 * Linux, so each thread is lowered through libc; both are per-thread attributes on Linux ({@code setpriority(2)},
 * "Bugs"), and a thread inherits them from the thread that creates it (the JIT's later compiler threads from the
 * first ones).
 */
public final class Threads {
    private static final int PRIO_PROCESS = 0;
    private static final int LOWEST_NICE = 19;
    private static final int SCHED_IDLE = 5;
    /** {@code /proc/PID/task/TID/comm} of HotSpot's C1 and C2 compiler threads (the kernel keeps 15 characters). */
    private static final String COMPILER_THREAD = "CompilerThre";

    /** The libc functions used; public only because jnr-ffi implements it. */
    public interface LibC {
        int setpriority(int which, int who, int prio);

        int sched_setscheduler(int pid, int policy, @In int[] param);
    }

    private static final class Native {
        static final LibC LIBC = LibraryLoader.create(LibC.class).load("c");
    }

    private Threads() {
    }

    /** A factory of daemon threads named {@code name-1}, {@code name-2}... */
    public static ThreadFactory named(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> daemon(name + "-" + n.incrementAndGet(), r);
    }

    /**
     * As {@link #named}, for threads whose work may wait for idle CPU: each runs under the idle scheduling policy (or
     * nice 19, or where the kernel refuses that too, at the priority it had).
     */
    public static ThreadFactory background(String name) {
        ThreadFactory named = named(name);
        return r -> named.newThread(() -> {
            lower(0); // 0: the calling thread
            r.run();
        });
    }

    /**
     * Lowers this JVM's JIT compiler threads as {@link #background} threads are lowered: a container's start waits for
     * CPU, not for the daemon's code to be compiled.
     *
     * @return how many compiler threads there were
     */
    public static int backgroundCompilers() throws IOException {
        int lowered = 0;
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : tasks.toList()) {
                String comm;
                try {
                    comm = Files.readString(task.resolve("comm"));
                } catch (IOException exited) {
                    continue;
                }
                if (comm.contains(COMPILER_THREAD)) {
                    lower(Integer.parseInt(task.getFileName().toString()));
                    lowered++;
                }
            }
        }
        return lowered;
    }

    private static void lower(int tid) {
        if (Native.LIBC.sched_setscheduler(tid, SCHED_IDLE, new int[] {0}) != 0) {
            Native.LIBC.setpriority(PRIO_PROCESS, tid, LOWEST_NICE);
        }
    }

    /** Starts {@code task} on a new daemon thread named {@code name}. */
    public static Thread start(String name, Runnable task) {
        Thread t = daemon(name, task);
        t.start();
        return t;
    }

    private static Thread daemon(String name, Runnable task) {
        Thread t = new Thread(task, name);
        t.setDaemon(true);
        return t;
    }
}
