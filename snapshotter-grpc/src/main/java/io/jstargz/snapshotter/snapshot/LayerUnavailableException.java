package io.jstargz.snapshotter.snapshot;

/** A remote layer cannot serve reads (registry unreachable, mount gone, not configured); the message says why. */
public final class LayerUnavailableException extends Exception {
    public LayerUnavailableException(String reason) {
        super(reason);
    }

    public LayerUnavailableException(String reason, Throwable cause) {
        super(reason, cause);
    }
}
