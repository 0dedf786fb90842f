package io.jstargz.snapshotter.sys;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** The daemon's thread pools: bounded, and without threads while idle (each one holds its stack). */
public final class ThreadPools {
    private static final long IDLE_SECONDS = 60;

    private ThreadPools() {
    }

    /**
     * At most {@code threads} daemon threads, named {@code name-1}, {@code name-2}...; a thread exits after a minute
     * without work. Tasks beyond {@code threads} wait in an unbounded queue.
     */
    public static ThreadPoolExecutor bounded(String name, int threads) {
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, IDLE_SECONDS, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, name + "-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }
}
