package io.jstargz.bench;

import java.time.Duration;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/** When something last happened (bytes crossed a link), and a wait for it to go quiet that wakes on each event. */
final class Activity {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition happened = lock.newCondition();
    private long lastNanos = System.nanoTime();

    void touch() {
        lock.lock();
        try {
            lastNanos = System.nanoTime();
            happened.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** When it last happened, on the System.nanoTime() scale. */
    long lastNanos() {
        lock.lock();
        try {
            return lastNanos;
        } finally {
            lock.unlock();
        }
    }

    /** Waits until nothing happened for {@code quiet}, or {@code max} passed; returns whether it went quiet. */
    boolean awaitQuiet(Duration quiet, Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        lock.lock();
        try {
            while (true) {
                long now = System.nanoTime();
                long quietAt = lastNanos + quiet.toNanos();
                if (now >= quietAt) {
                    return true;
                }
                if (now >= deadline) {
                    return false;
                }
                happened.awaitNanos(Math.min(quietAt, deadline) - now);
            }
        } finally {
            lock.unlock();
        }
    }
}
