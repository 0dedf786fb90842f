package io.jstargz.concurrent;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/** Thread pools that are bounded and hold no threads while idle (each thread holds its stack). */
public final class ThreadPools {
    private static final long IDLE_SECONDS = 60;

    private ThreadPools() {
    }

    /**
     * At most {@code threads} daemon threads, named {@code name-1}, {@code name-2}...; a thread exits after a minute
     * without work. Tasks beyond {@code threads} wait in an unbounded queue.
     */
    public static ThreadPoolExecutor bounded(String name, int threads) {
        return bounded(name, threads, Integer.MAX_VALUE);
    }

    /** As {@link #bounded(String, int)}, with at most {@code queue} tasks waiting (more are rejected). */
    public static ThreadPoolExecutor bounded(String name, int threads, int queue) {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, IDLE_SECONDS, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(queue), Threads.named(name));
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }
}
