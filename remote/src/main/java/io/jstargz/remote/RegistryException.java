package io.jstargz.remote;

import java.io.IOException;
import java.time.Duration;

/**
 * A registry answered with an error, or broke the protocol. {@link #status()} is the HTTP status (0 when the
 * failure was not an HTTP status). Retryable failures (5xx, 429, 408) carry the server's {@code Retry-After} when it
 * sent one. Messages name the host, repository and object, never credentials or signed URL parameters.
 */
public class RegistryException extends IOException {

    private final int status;
    private final boolean retryable;
    private final Duration retryAfter;

    public RegistryException(String message, int status, boolean retryable, Duration retryAfter) {
        super(message);
        this.status = status;
        this.retryable = retryable;
        this.retryAfter = retryAfter;
    }

    public RegistryException(String message) {
        this(message, 0, false, null);
    }

    public int status() {
        return status;
    }

    /** Whether asking again may succeed (server errors, rate limits). */
    public boolean isRetryable() {
        return retryable;
    }

    /** The delay the server asked for, or {@code null}. */
    public Duration retryAfter() {
        return retryAfter;
    }
}
