package io.jstargz.concurrent;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Waiting for work done elsewhere (a shared fetch, a mount, parallel reads) with the failure it had: an IOException
 * comes out as the IOException it was, not wrapped twice, so its message (which layer, which range) reaches the log.
 */
public final class Futures {

    /** One piece of work that may fail with an IOException. */
    @FunctionalInterface
    public interface IoFunction<T, R> {
        R apply(T item) throws IOException;
    }

    private Futures() {
    }

    /**
     * The future's value. Its IOException or unchecked exception is rethrown as it is, anything else wrapped in an
     * IOException naming {@code what}; an interrupt is an {@link InterruptedIOException} (the interrupt is kept).
     */
    public static <T> T get(Future<T> future, String what) throws IOException {
        try {
            return future.get();
        } catch (InterruptedException e) {
            throw interrupted(what);
        } catch (ExecutionException e) {
            throw failure(e, what);
        }
    }

    /**
     * As {@link #get(Future, String)}, waiting at most {@code timeout}: then an {@link InterruptedIOException} saying
     * "{@code what} took longer than N s" (the future goes on).
     */
    public static <T> T get(Future<T> future, Duration timeout, String what) throws IOException {
        try {
            return future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            throw interrupted(what);
        } catch (ExecutionException e) {
            throw failure(e, what);
        } catch (TimeoutException e) {
            throw new InterruptedIOException(what + " took longer than " + seconds(timeout) + " s");
        }
    }

    /** {@code fn} applied to every item, the first on this thread and the rest on {@code executor}; in order. */
    public static <T, R> List<R> parallel(List<T> items, Executor executor, String what, IoFunction<T, R> fn)
            throws IOException {
        if (items.isEmpty()) {
            return List.of();
        }
        List<CompletableFuture<R>> rest = new ArrayList<>();
        for (T item : items.subList(1, items.size())) {
            rest.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return fn.apply(item);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }, executor));
        }
        List<R> out = new ArrayList<>(items.size());
        out.add(fn.apply(items.get(0)));
        for (CompletableFuture<R> f : rest) {
            out.add(get(f, what));
        }
        return out;
    }

    /** The failure inside {@code e}, unwrapped from the wrappers a task's checked exception travels in. */
    private static IOException failure(ExecutionException e, String what) {
        Throwable cause = e.getCause();
        while ((cause instanceof CompletionException || cause instanceof UncheckedIOException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof IOException io) {
            return io;
        }
        if (cause instanceof RuntimeException r) {
            throw r;
        }
        if (cause instanceof Error error) {
            throw error;
        }
        return new IOException(what + " failed: " + cause, cause);
    }

    private static InterruptedIOException interrupted(String what) {
        Thread.currentThread().interrupt();
        return new InterruptedIOException("interrupted while waiting for " + what);
    }

    /** Whole seconds, rounded; milliseconds below a second. */
    private static String seconds(Duration d) {
        return d.toMillis() < 1000 ? Double.toString(d.toMillis() / 1000.0) : Long.toString(Math.round(d.toMillis()
                / 1000.0));
    }
}
