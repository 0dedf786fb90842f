package io.jstargz.concurrent;

import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Thread pools that are bounded, start a thread only when no thread is free, and hold no threads while idle (each
 * thread holds its stack).
 *
 * <p>A {@link ThreadPoolExecutor} with a core size of N starts a new thread for each task until it has N, even while
 * its threads wait for work, and a queue it can add to never lets it grow past its core size. So a pool here has no
 * core threads and a queue that takes a task only when a waiting thread takes it at once ({@link
 * LinkedTransferQueue#tryTransfer}): otherwise the pool starts a thread, up to its bound, and beyond the bound the
 * task waits in the queue. A daemon with 20 mounted layers held each layer's 16 fetch threads, most of them idle,
 * 90 in all; now a pool holds as many threads as tasks ran at once.
 */
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
        return bounded(name, threads, queue, Threads.named(name));
    }

    /** As {@link #bounded(String, int)}, for work that may wait for idle CPU ({@link Threads#background}). */
    public static ThreadPoolExecutor background(String name, int threads) {
        return bounded(name, threads, Integer.MAX_VALUE, Threads.background(name));
    }

    private static ThreadPoolExecutor bounded(String name, int threads, int queue, ThreadFactory factory) {
        HandOffQueue waiting = new HandOffQueue(queue);
        ThreadPoolExecutor pool = new ThreadPoolExecutor(0, threads, IDLE_SECONDS, TimeUnit.SECONDS, waiting,
                factory, (task, executor) -> {
                    if (executor.isShutdown() || !waiting.enqueue(task)) {
                        throw new RejectedExecutionException(name + ": " + (executor.isShutdown() ? "shut down"
                                : queue + " tasks wait already"));
                    }
                });
        return pool;
    }

    /**
     * Takes a task from the pool only when a waiting thread takes it at once; the pool's rejection handler puts the
     * others in line with {@link #enqueue}, once the pool has all its threads.
     */
    private static final class HandOffQueue extends LinkedTransferQueue<Runnable> {
        private final int capacity;

        HandOffQueue(int capacity) {
            this.capacity = capacity;
        }

        @Override
        public boolean offer(Runnable task) {
            return tryTransfer(task);
        }

        /** Puts {@code task} in line; false when {@code capacity} tasks wait already. */
        synchronized boolean enqueue(Runnable task) {
            return size() < capacity && super.offer(task);
        }
    }
}
