package io.jstargz.fs;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Lets background work yield to on-demand reads: readers hold the gate while they wait for a fetch, and the
 * background fetcher waits, before each request, until no reader does.
 */
final class DemandGate {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition quiet = lock.newCondition();
    private int waiting;

    /** A reader starts waiting for fetched bytes. */
    void enter() {
        lock.lock();
        try {
            waiting++;
        } finally {
            lock.unlock();
        }
    }

    /** The reader has its bytes (or gave up). */
    void exit() {
        lock.lock();
        try {
            if (--waiting == 0) {
                quiet.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until no reader waits for a fetch, at most {@code maxNanos}.
     *
     * @return true if quiet, false if readers were still waiting at the deadline
     */
    boolean awaitQuiet(long maxNanos) throws InterruptedException {
        lock.lock();
        try {
            long left = maxNanos;
            while (waiting > 0) {
                if (left <= 0) {
                    return false;
                }
                left = quiet.awaitNanos(left);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }
}
