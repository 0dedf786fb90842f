package io.jstargz.snapshotter.fs;

import io.jstargz.concurrent.BackgroundGate;
import java.time.Duration;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * Holds background work back while containers start (fetches, copies for passthrough, the chunk cache's disk
 * writes): it goes on only once containerd has not prepared a layer nor checked one for a container (its mounts) for
 * {@code period}, as the reference snapshotter does for its background fetches.
 */
final class QuietPeriod implements BackgroundGate {
    private final long periodNanos;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition renewed = lock.newCondition();
    private long lastBusy;
    private int busy;

    QuietPeriod(Duration period) {
        this.periodNanos = period.toNanos();
        this.lastBusy = System.nanoTime() - periodNanos;
    }

    /** A container-start task begins: background fetches wait from now until {@link #end} plus the period. */
    void begin() {
        lock.lock();
        try {
            busy++;
        } finally {
            lock.unlock();
        }
    }

    /** The task started with {@link #begin} ended. */
    void end() {
        lock.lock();
        try {
            busy--;
            lastBusy = System.nanoTime();
            renewed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void awaitOpen(BooleanSupplier unless) throws InterruptedException {
        lock.lock();
        try {
            while (!unless.getAsBoolean()) {
                long left = lastBusy + periodNanos - System.nanoTime();
                if (busy == 0 && left <= 0) {
                    return;
                }
                if (busy > 0) {
                    renewed.await(); // until a task ends and the quiet period starts, or a wake
                } else {
                    renewed.awaitNanos(left);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void wake() {
        lock.lock();
        try {
            renewed.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
