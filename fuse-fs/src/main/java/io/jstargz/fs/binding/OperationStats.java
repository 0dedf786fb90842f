package io.jstargz.fs.binding;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * How many requests of each operation a FUSE binding served, and the time its Java handlers spent on them (from the
 * handler's entry to its answer; not the kernel's or the transport's share). Operations are named as the binding
 * knows them ({@code getattr}, {@code read}, {@code lookup}...), so the counts show what each binding costs. Also the
 * requests being served right now, for the diagnostics endpoint: which operation, on which thread, for how long.
 *
 * <p>A binding takes one {@link Counter} per operation when it is built and brackets each request with
 * {@link Counter#start()} and {@link Counter#record(long)} on the thread that serves it: two
 * {@link System#nanoTime()} reads, two {@link LongAdder} additions and two writes to the serving thread's own slot,
 * cheap next to any upcall and free of contention between the binding's threads. Totals and the requests in flight
 * are read when asked for (metrics, status, diagnostics).
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

    /**
     * A request being served.
     *
     * @param operation    its operation
     * @param thread       the thread serving it
     * @param elapsedNanos how long it has been served
     * @param stack        where that thread is now (e.g. waiting for a fetch)
     */
    public record InFlight(String operation, Thread thread, long elapsedNanos, List<StackTraceElement> stack) {
    }

    /** The counters of one operation. */
    public final class Counter {
        private final String operation;
        private final LongAdder count = new LongAdder();
        private final LongAdder nanos = new LongAdder();

        private Counter(String operation) {
            this.operation = operation;
        }

        /** Marks a request of this operation as served by the current thread from now; returns now. */
        public long start() {
            long now = System.nanoTime();
            Slot s = slot.get();
            s.startNanos = now;
            s.operation = operation;
            return now;
        }

        /** Records one request whose handler started at {@code startNanos} ({@link System#nanoTime()}) and ends now. */
        public void record(long startNanos) {
            slot.get().operation = null;
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

    /** What one serving thread is doing; written only by that thread. */
    private static final class Slot {
        final Thread thread = Thread.currentThread();
        volatile String operation;
        volatile long startNanos;
    }

    private final ConcurrentHashMap<String, Counter> counters = new ConcurrentHashMap<>();
    private final Set<Slot> slots = ConcurrentHashMap.newKeySet();
    private final ThreadLocal<Slot> slot = ThreadLocal.withInitial(() -> {
        Slot s = new Slot();
        slots.removeIf(old -> !old.thread.isAlive());
        slots.add(s);
        return s;
    });

    /** The counter of {@code operation}, created on first use. */
    public Counter counter(String operation) {
        return counters.computeIfAbsent(operation, Counter::new);
    }

    /** The requests being served now, longest first. */
    public List<InFlight> inFlight() {
        long now = System.nanoTime();
        List<InFlight> out = new ArrayList<>();
        for (Slot s : slots) {
            String op = s.operation;
            if (op != null) {
                // read after the operation its start belongs to (start() writes them the other way round)
                out.add(new InFlight(op, s.thread, now - s.startNanos, List.of(s.thread.getStackTrace())));
            }
        }
        out.sort(Comparator.comparingLong(InFlight::elapsedNanos).reversed());
        return out;
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
