package io.jstargz.remote;

import java.time.Duration;

/**
 * When a read must have its bytes, for a reader that cannot wait longer (a FUSE read): each HTTP attempt gets half of
 * the time that remains as its call timeout, so a connection that stalls, before the headers or mid-body, is
 * abandoned (okhttp cancels the call and closes its socket, which is never reused) while there is still time for a
 * retry on a fresh connection or on the next host. Reads without a deadline have {@link #NONE}: the request timeout
 * bounds each attempt.
 */
record ReadDeadline(boolean bounded, long atNanos) {
    static final ReadDeadline NONE = new ReadDeadline(false, 0);
    /** Shorter attempts than this would fail on a slow but working link. */
    private static final long MIN_ATTEMPT_NANOS = Duration.ofMillis(500).toNanos();

    static ReadDeadline within(Duration d) {
        return new ReadDeadline(true, System.nanoTime() + d.toNanos());
    }

    long remainingNanos() {
        return bounded ? atNanos - System.nanoTime() : Long.MAX_VALUE;
    }

    boolean passed() {
        return remainingNanos() <= 0;
    }

    /** The call timeout of the next attempt: {@code requestTimeout}, or less to leave time for another attempt. */
    Duration attemptTimeout(Duration requestTimeout) {
        long left = remainingNanos();
        if (left == Long.MAX_VALUE) {
            return requestTimeout;
        }
        long attempt = left / 2 >= MIN_ATTEMPT_NANOS ? left / 2 : left;
        return Duration.ofNanos(Math.max(1, Math.min(requestTimeout.toNanos(), attempt)));
    }
}
