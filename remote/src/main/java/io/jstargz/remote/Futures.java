package io.jstargz.remote;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;

/** Waiting for shared work (a token, a resolution, parallel reads) with its IOException intact. */
final class Futures {

    /** One piece of work that may fail with an IOException. */
    @FunctionalInterface
    interface IoFunction<T, R> {
        R apply(T item) throws IOException;
    }

    private Futures() {
    }

    /** The future's value; its IOException is rethrown as is. */
    static <T> T get(CompletableFuture<T> future, String what) throws IOException {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for " + what);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() instanceof CompletionException c ? c.getCause() : e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            throw new IOException(what + " failed", cause);
        }
    }

    /** {@code fn} applied to every item, the first on this thread and the rest on {@code executor}; in order. */
    static <T, R> List<R> parallel(List<T> items, Executor executor, String what, IoFunction<T, R> fn)
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
                    throw new CompletionException(e);
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
}
