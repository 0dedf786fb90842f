package io.jstargz.fs;

/**
 * When a background fetch may send its next request. A snapshotter holds background fetches back while containers
 * start, so their reads and the container's own startup do not compete with bulk transfers for network and CPU.
 */
@FunctionalInterface
public interface BackgroundGate {
    /** Never holds anything back. */
    BackgroundGate OPEN = () -> { };

    /** Blocks until background fetching may go on. */
    void awaitOpen() throws InterruptedException;
}
