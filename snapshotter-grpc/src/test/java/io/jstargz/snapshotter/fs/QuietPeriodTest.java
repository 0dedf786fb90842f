package io.jstargz.snapshotter.fs;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class QuietPeriodTest {

    @Test
    void backgroundWorkWaitsWhileTasksRunAndForThePeriodAfterTheLast() throws Exception {
        QuietPeriod quiet = new QuietPeriod(Duration.ofMillis(300));
        quiet.awaitOpen(); // nothing happened yet: open at once
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            quiet.begin();
            CompletableFuture<Long> opened = CompletableFuture.supplyAsync(() -> {
                try {
                    quiet.awaitOpen();
                    return System.nanoTime();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }, pool);
            assertFalse(isDone(opened, 500), "held back while a task runs, however long it takes");
            long ended = System.nanoTime();
            quiet.end();
            long at = opened.get(10, TimeUnit.SECONDS);
            assertTrue(at - ended >= TimeUnit.MILLISECONDS.toNanos(300), "and for the quiet period after it");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aWaitEndsEarlyWhenItsConditionHoldsAtAWake() throws Exception {
        QuietPeriod quiet = new QuietPeriod(Duration.ofHours(1));
        quiet.begin();
        AtomicBoolean urgent = new AtomicBoolean();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            CompletableFuture<Void> waited = CompletableFuture.runAsync(() -> {
                try {
                    quiet.awaitOpen(urgent::get);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }, pool);
            quiet.wake();
            assertFalse(isDone(waited, 300), "a wake alone does not end it");
            urgent.set(true);
            quiet.wake();
            waited.get(10, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
    }

    private static boolean isDone(CompletableFuture<?> f, long millis) throws Exception {
        try {
            f.get(millis, TimeUnit.MILLISECONDS);
            return true;
        } catch (java.util.concurrent.TimeoutException e) {
            return false;
        }
    }
}
