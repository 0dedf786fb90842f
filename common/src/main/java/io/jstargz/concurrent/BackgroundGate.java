package io.jstargz.concurrent;

import java.util.function.BooleanSupplier;

/**
 * When background work may go on: a background fetch's next request, a local copy for passthrough, a cached chunk's
 * disk write. A snapshotter holds it back while containers start, so their reads and the container's own startup do
 * not compete with bulk transfers, copies and writes for network, disk and CPU.
 */
@FunctionalInterface
public interface BackgroundGate {
    /** Never holds anything back. */
    BackgroundGate OPEN = unless -> { };

    /**
     * Blocks until background work may go on, or until {@code unless} holds: it is asked when the wait begins and
     * after every {@link #wake}, so whoever makes it true calls {@link #wake} for the wait to end.
     */
    void awaitOpen(BooleanSupplier unless) throws InterruptedException;

    /** Blocks until background work may go on. */
    default void awaitOpen() throws InterruptedException {
        awaitOpen(() -> false);
    }

    /** Makes every {@link #awaitOpen(BooleanSupplier)} ask its condition again. */
    default void wake() {
    }
}
