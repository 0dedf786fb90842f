package io.jstargz.concurrent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

class FuturesTest {
    @Test
    void anIoExceptionComesOutAsItWasHoweverItTravelled() {
        IOException cause = new IOException("layer x: range [0, 10) failed");
        assertSame(cause, assertThrows(IOException.class,
                () -> Futures.get(CompletableFuture.failedFuture(cause), "the read")));
        assertSame(cause, assertThrows(IOException.class, () -> Futures.get(CompletableFuture.failedFuture(
                new CompletionException(new UncheckedIOException(cause))), "the read")));
        IllegalStateException bug = new IllegalStateException("bug");
        assertSame(bug, assertThrows(IllegalStateException.class,
                () -> Futures.get(CompletableFuture.failedFuture(bug), "the read")));
    }

    @Test
    void aTimeoutSaysWhatTookTooLong() {
        InterruptedIOException e = assertThrows(InterruptedIOException.class,
                () -> Futures.get(new CompletableFuture<>(), Duration.ofMillis(50), "opening it"));
        assertEquals("opening it took longer than 0.05 s", e.getMessage());
    }

    @Test
    void parallelKeepsTheOrderAndTheFirstFailure() throws IOException {
        ExecutorService pool = Executors.newFixedThreadPool(4, Threads.named("test"));
        try {
            assertEquals(List.of(2, 4, 6), Futures.parallel(List.of(1, 2, 3), pool, "doubling", i -> i * 2));
            IOException e = assertThrows(IOException.class, () -> Futures.parallel(List.of(1, 2, 3), pool, "x",
                    i -> {
                        if (i == 3) {
                            throw new IOException("three failed");
                        }
                        return i;
                    }));
            assertEquals("three failed", e.getMessage());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void threadsAreNamedDaemons() throws Exception {
        Thread t = Threads.named("jstargz-test").newThread(() -> { });
        assertEquals("jstargz-test-1", t.getName());
        assertTrue(t.isDaemon());
    }
}
