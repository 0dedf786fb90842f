package io.jstargz.concurrent;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads jstargz starts: all daemon threads (none keeps a JVM alive that is shutting down) with names that say
 * whose they are in a thread dump.
 */
public final class Threads {
    private Threads() {
    }

    /** A factory of daemon threads named {@code name-1}, {@code name-2}... */
    public static ThreadFactory named(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> daemon(name + "-" + n.incrementAndGet(), r);
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
