package io.jstargz.fs.binding;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * How many requests of each operation a FUSE binding served, and the time its Java handlers spent on them (from the
 * handler's entry to its answer; not the kernel's or the transport's share). Operations are named as the binding
 * knows them ({@code getattr}, {@code read}, {@code lookup}...), so the counts show what each binding costs.
 *
 * <p>A binding takes one {@link Counter} per operation when it is built and records each request with it: two
 * {@link System#nanoTime()} reads and two {@link LongAdder} additions, cheap next to any upcall, and free of
 * contention between the binding's threads. Totals are read when asked for (metrics, status).
 */
public final class OperationStats {

    /**
     * One operation's totals.
     *
     * @param count requests served
     * @param nanos time spent in the handler, summed over the requests
     */
    public record Totals(long count, long nanos) {
    }

    /** The counters of one operation. */
    public static final class Counter {
        private final LongAdder count = new LongAdder();
        private final LongAdder nanos = new LongAdder();

        private Counter() {
        }

        /** Records one request whose handler started at {@code startNanos} ({@link System#nanoTime()}) and ends now. */
        public void record(long startNanos) {
            nanos.add(System.nanoTime() - startNanos);
            count.increment();
        }

        private void add(Totals t) {
            count.add(t.count());
            nanos.add(t.nanos());
        }

        private Totals totals() {
            return new Totals(count.sum(), nanos.sum());
        }
    }

    private final ConcurrentHashMap<String, Counter> counters = new ConcurrentHashMap<>();

    /** The counter of {@code operation}, created on first use. */
    public Counter counter(String operation) {
        return counters.computeIfAbsent(operation, k -> new Counter());
    }

    /** Adds totals recorded elsewhere (e.g. by a mount that is gone). */
    public void add(Map<String, Totals> totals) {
        totals.forEach((op, t) -> counter(op).add(t));
    }

    /** The totals of every operation served at least once, by name. */
    public Map<String, Totals> totals() {
        Map<String, Totals> out = new TreeMap<>();
        counters.forEach((op, c) -> {
            Totals t = c.totals();
            if (t.count() > 0) {
                out.put(op, t);
            }
        });
        return out;
    }
}
