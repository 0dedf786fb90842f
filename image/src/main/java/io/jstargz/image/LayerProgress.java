package io.jstargz.image;

import io.jstargz.remote.Digest;
import java.util.concurrent.atomic.AtomicLong;

/** The state of one layer's conversion, updated by the converter and read by a {@link ConvertListener}. */
public final class LayerProgress {

    /** Where a layer is. */
    public enum Phase {
        QUEUED("queued"),
        CHECKING("checking"),
        FETCHING("fetching"),
        WAITING("waiting for the other layers"),
        CONVERTING("converting"),
        PUSHING("pushing"),
        CONVERTED("converted"),
        REUSED("already eStargz, kept"),
        KEPT("kept as it is"),
        FAILED("failed");

        private final String label;

        Phase(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }

        /** Whether the layer is finished (one way or another). */
        public boolean isFinal() {
            return this == CONVERTED || this == REUSED || this == KEPT || this == FAILED;
        }
    }

    private final Digest digest;
    private final long sizeIn;
    private final AtomicLong bytesIn = new AtomicLong();
    private final AtomicLong bytesOut = new AtomicLong();
    private volatile Phase phase = Phase.QUEUED;

    LayerProgress(Digest digest, long sizeIn) {
        this.digest = digest;
        this.sizeIn = sizeIn;
    }

    /** The source layer's digest. */
    public Digest digest() {
        return digest;
    }

    /** A short name: the first 12 hex digits of the digest. */
    public String shortName() {
        return digest.hex().substring(0, 12);
    }

    /** The source layer's size. */
    public long sizeIn() {
        return sizeIn;
    }

    /** Source bytes read so far. */
    public long bytesIn() {
        return bytesIn.get();
    }

    /** eStargz bytes written so far. */
    public long bytesOut() {
        return bytesOut.get();
    }

    public Phase phase() {
        return phase;
    }

    void addIn(long n) {
        bytesIn.addAndGet(n);
    }

    void addOut(long n) {
        bytesOut.addAndGet(n);
    }

    void setOut(long n) {
        bytesOut.set(n);
    }

    void phase(Phase p) {
        phase = p;
    }
}
