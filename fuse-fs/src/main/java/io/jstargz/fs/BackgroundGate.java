package io.jstargz.fs;

/**
 * When background work may go on: a background fetch's next request, a local copy for passthrough. A snapshotter
 * holds it back while containers start, so their reads and the container's own startup do not compete with bulk
 * transfers and copies for network, disk and CPU.
 */
@FunctionalInterface
public interface BackgroundGate {
    /** Never holds anything back. */
    BackgroundGate OPEN = () -> { };

    /** Blocks until background fetching may go on. */
    void awaitOpen() throws InterruptedException;
}
