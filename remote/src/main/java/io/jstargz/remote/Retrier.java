package io.jstargz.remote;

import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs an operation again after transient failures (connection errors, short bodies, 5xx, 429), with exponential
 * backoff and jitter, honouring {@code Retry-After}; bounded in attempts and in elapsed time.
 */
final class Retrier {

    /** One attempt of an operation. */
    @FunctionalInterface
    interface Attempt<T> {
        T run() throws IOException;
    }

    private static final Logger LOG = LoggerFactory.getLogger(Retrier.class);

    private final RegistryConfig config;

    Retrier(RegistryConfig config) {
        this.config = config;
    }

    /**
     * Runs {@code attempt} up to {@code 1 + maxRetries} times.
     *
     * @param what names the operation in logs
     */
    <T> T run(String what, int maxRetries, Attempt<T> attempt) throws IOException {
        return run(what, maxRetries, ReadDeadline.NONE, attempt);
    }

    /** Runs {@code attempt} as {@link #run(String, int, Attempt)} does, with no retry that would end past {@code deadline}. */
    <T> T run(String what, int maxRetries, ReadDeadline deadline, Attempt<T> attempt) throws IOException {
        long start = System.nanoTime();
        long budget = config.retryMaxElapsed().toNanos();
        for (int retry = 0; ; retry++) {
            try {
                return attempt.run();
            } catch (IOException e) {
                if (retry >= maxRetries || !isRetryable(e)) {
                    throw e;
                }
                long wait = backoffNanos(retry, e);
                if (System.nanoTime() - start + wait > budget || wait >= deadline.remainingNanos()) {
                    throw e;
                }
                LOG.debug("{}: retry {} of {} in {} ms after {}", what, retry + 1, maxRetries, wait / 1_000_000,
                        e instanceof RegistryException r ? "HTTP " + r.status() : e.toString());
                sleep(wait, e);
            }
        }
    }

    static boolean isRetryable(IOException e) {
        if (e instanceof RegistryException r) {
            return r.isRetryable();
        }
        if (e instanceof DigestMismatchException || e instanceof PastEndOfBlobException
                || e instanceof UnknownHostException || e instanceof SSLHandshakeException
                || e instanceof SSLPeerUnverifiedException) {
            return false;
        }
        if (e instanceof InterruptedIOException && Thread.currentThread().isInterrupted()) {
            return false;
        }
        return true;
    }

    private long backoffNanos(int retry, IOException e) {
        if (e instanceof RegistryException r && r.retryAfter() != null) {
            return r.retryAfter().toNanos();
        }
        long max = config.retryMaxWait().toNanos();
        long ceiling = Math.min(max, config.retryMinWait().toNanos() << Math.min(retry, 30));
        return ThreadLocalRandom.current().nextLong(ceiling / 2, ceiling + 1);
    }

    private static void sleep(long nanos, IOException cause) throws IOException {
        try {
            // deliberate retry backoff
            Thread.sleep(Duration.ofNanos(nanos).toMillis(), (int) (nanos % 1_000_000));
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            InterruptedIOException interrupted = new InterruptedIOException("interrupted while backing off");
            interrupted.addSuppressed(cause);
            throw interrupted;
        }
    }

    /** A range past the end of a blob: asking again cannot help. */
    static final class PastEndOfBlobException extends EOFException {
        PastEndOfBlobException(String message) {
            super(message);
        }
    }
}
