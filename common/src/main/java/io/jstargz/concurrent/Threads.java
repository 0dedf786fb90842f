package io.jstargz.concurrent;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import jnr.ffi.LibraryLoader;

/**
 * The threads jstargz starts: all daemon threads (none keeps a JVM alive that is shutting down) with names that say
 * whose they are in a thread dump.
 *
 * <p>Background threads (fetching the rest of a layer, copying files for passthrough, writing cached chunks to disk)
 * run at the lowest CPU priority, nice 19: they decompress, verify and write hundreds of MiB while a container starts
 * on the same cores, and the container's own startup must win. The JVM ignores {@link Thread#setPriority} on Linux
 * (and with {@code -XX:ThreadPriorityPolicy=1}, which the launcher gives it to lower its compiler threads, maps the
 * lowest Java priority to nice 4), so the thread sets its nice value itself; on Linux that is a per-thread attribute
 * ({@code setpriority(2)}, "Bugs").
 */
public final class Threads {
    private static final int PRIO_PROCESS = 0;
    private static final int LOWEST = 19;

    /** The libc function used; public only because jnr-ffi implements it. */
    public interface LibC {
        int setpriority(int which, int who, int prio);
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
     * As {@link #named}, for threads whose work may wait for idle CPU: each runs at nice 19 (where the kernel refuses,
     * at the priority it had).
     */
    public static ThreadFactory background(String name) {
        ThreadFactory named = named(name);
        return r -> named.newThread(() -> {
            Native.LIBC.setpriority(PRIO_PROCESS, 0, LOWEST); // 0: the calling thread
            r.run();
        });
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
