package io.jstargz.snapshotter;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.slf4j.LoggerFactory;

/** Waits for a log message of this JVM (an event the daemon logs), with a deadline; detach with close. */
final class LogWatch extends AppenderBase<ILoggingEvent> implements AutoCloseable {
    private record Waiter(Predicate<String> match, CompletableFuture<String> found) {
    }

    private final List<String> seen = new ArrayList<>();
    private final List<Waiter> waiters = new ArrayList<>();

    LogWatch() {
        start();
        root().addAppender(this);
    }

    @Override
    protected synchronized void append(ILoggingEvent event) {
        String msg = event.getFormattedMessage();
        seen.add(msg);
        waiters.removeIf(w -> w.match().test(msg) && w.found().complete(msg));
    }

    /** The first message (logged since this watch started) containing every one of {@code parts}. */
    String await(Duration deadline, String... parts) throws Exception {
        Predicate<String> match = m -> List.of(parts).stream().allMatch(m::contains);
        CompletableFuture<String> found = new CompletableFuture<>();
        synchronized (this) {
            seen.stream().filter(match).findFirst().ifPresentOrElse(found::complete,
                    () -> waiters.add(new Waiter(match, found)));
        }
        return found.get(deadline.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        root().detachAppender(this);
        stop();
    }

    private static Logger root() {
        return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    }
}
