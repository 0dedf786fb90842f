package io.jstargz.fs;

import io.jstargz.concurrent.BackgroundGate;
import io.jstargz.fs.binding.FuseBinding;
import io.jstargz.fs.binding.FuseBindings;
import io.jstargz.fs.binding.MountOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link LayerMount} mounts and fetches a layer. Every field has a working default ({@link #defaults()}).
 *
 * @param prefetch             at mount, fetch the prioritized region ({@code [0, .prefetch.landmark)}) in one request
 * @param prefetchSizeDefault  bytes to prefetch from a layer with neither landmark (0: none)
 * @param backgroundFetch      after the prefetch, fetch the rest of the layer at low priority
 * @param backgroundWorkers    background requests in flight at once
 * @param fetchThreads         on-demand fetches in flight at once
 * @param neighbourBytes       a read that misses the end of a small file (no larger than this, compressed) also
 *                             fetches, in the same request, the small files stored after it in its directory, up to
 *                             this many compressed bytes in all (0: only what reads need)
 * @param readTimeout          longest a read waits for bytes it must fetch before it fails with EIO: the fetch is
 *                             abandoned then, whoever waits for it
 * @param mountTimeout         longest the mount waits for the kernel
 * @param cacheTimeout         how long the kernel caches entries and attributes (the layer is immutable)
 * @param readAheadKib         kernel readahead of the mount (0: the kernel's default)
 * @param accessListener       told of each file's first open (null: nobody)
 * @param backgroundGate       asked before each background request and each local copy for passthrough (a
 *                             snapshotter holds them back while containers start)
 * @param debug                log every filesystem operation with its latency
 * @param binding              the FUSE binding (default: {@link FuseBindings#byDefault()})
 * @param passthroughDir       where whole local copies of fully fetched files are kept for FUSE passthrough (the
 *                             kernel then reads them without asking the daemon, where the binding and the kernel
 *                             can); null: no passthrough
 * @param fetchMemory          the heap fetches in flight may hold, shared by the layers of a daemon (default:
 *                             {@link FetchMemory#UNBOUNDED})
 */
public record LayerMountOptions(boolean prefetch, long prefetchSizeDefault, boolean backgroundFetch,
                                int backgroundWorkers, int fetchThreads, long neighbourBytes, Duration readTimeout,
                                Duration mountTimeout, Duration cacheTimeout, int readAheadKib,
                                AccessListener accessListener, BackgroundGate backgroundGate, boolean debug,
                                FuseBinding binding, Path passthroughDir, FetchMemory fetchMemory) {

    /** Neighbour bytes fetched with a miss by default; chosen by measurement, see docs/benchmarks.md. */
    public static final long DEFAULT_NEIGHBOUR_BYTES = 128 * 1024;

    public LayerMountOptions {
        Objects.requireNonNull(readTimeout, "readTimeout");
        Objects.requireNonNull(mountTimeout, "mountTimeout");
        Objects.requireNonNull(cacheTimeout, "cacheTimeout");
        Objects.requireNonNull(binding, "binding");
        Objects.requireNonNull(backgroundGate, "backgroundGate");
        Objects.requireNonNull(fetchMemory, "fetchMemory");
        if (prefetchSizeDefault < 0 || neighbourBytes < 0 || backgroundWorkers < 1 || fetchThreads < 1
                || readAheadKib < 0) {
            throw new IllegalArgumentException("prefetchSizeDefault, neighbourBytes and readAheadKib must be >= 0,"
                    + " backgroundWorkers and fetchThreads >= 1; got " + prefetchSizeDefault + ", " + neighbourBytes
                    + ", " + readAheadKib + ", " + backgroundWorkers + ", " + fetchThreads);
        }
        if (readTimeout.isNegative() || readTimeout.isZero()) {
            throw new IllegalArgumentException("readTimeout must be positive, got " + readTimeout);
        }
    }

    /**
     * Prefetch and background fetch on (2 workers), 16 fetch threads, {@link #DEFAULT_NEIGHBOUR_BYTES} of neighbours
     * with a miss, reads wait up to 2 minutes.
     */
    public static LayerMountOptions defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these options. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.prefetch = prefetch;
        b.prefetchSizeDefault = prefetchSizeDefault;
        b.backgroundFetch = backgroundFetch;
        b.backgroundWorkers = backgroundWorkers;
        b.fetchThreads = fetchThreads;
        b.neighbourBytes = neighbourBytes;
        b.readTimeout = readTimeout;
        b.mountTimeout = mountTimeout;
        b.cacheTimeout = cacheTimeout;
        b.readAheadKib = readAheadKib;
        b.accessListener = accessListener;
        b.backgroundGate = backgroundGate;
        b.debug = debug;
        b.binding = binding;
        b.passthroughDir = passthroughDir;
        b.fetchMemory = fetchMemory;
        return b;
    }

    /** Builds {@link LayerMountOptions}; unset fields keep their defaults. */
    public static final class Builder {
        private boolean prefetch = true;
        private long prefetchSizeDefault;
        private boolean backgroundFetch = true;
        private int backgroundWorkers = 2;
        private int fetchThreads = 16;
        private long neighbourBytes = DEFAULT_NEIGHBOUR_BYTES;
        private Duration readTimeout = Duration.ofSeconds(20);
        private Duration mountTimeout = Duration.ofSeconds(30);
        private Duration cacheTimeout = MountOptions.LONG_TIMEOUT;
        private int readAheadKib = MountOptions.DEFAULT_READ_AHEAD_KIB;
        private AccessListener accessListener;
        private BackgroundGate backgroundGate = BackgroundGate.OPEN;
        private boolean debug;
        private FuseBinding binding;
        private Path passthroughDir;
        private FetchMemory fetchMemory = FetchMemory.UNBOUNDED;

        private Builder() {
        }

        public Builder prefetch(boolean v) { prefetch = v; return this; }
        public Builder prefetchSizeDefault(long v) { prefetchSizeDefault = v; return this; }
        public Builder backgroundFetch(boolean v) { backgroundFetch = v; return this; }
        public Builder backgroundWorkers(int v) { backgroundWorkers = v; return this; }
        public Builder fetchThreads(int v) { fetchThreads = v; return this; }
        public Builder neighbourBytes(long v) { neighbourBytes = v; return this; }
        public Builder readTimeout(Duration v) { readTimeout = v; return this; }
        public Builder mountTimeout(Duration v) { mountTimeout = v; return this; }
        public Builder cacheTimeout(Duration v) { cacheTimeout = v; return this; }
        public Builder readAheadKib(int v) { readAheadKib = v; return this; }
        public Builder accessListener(AccessListener v) { accessListener = v; return this; }
        public Builder backgroundGate(BackgroundGate v) { backgroundGate = v; return this; }
        public Builder debug(boolean v) { debug = v; return this; }
        public Builder binding(FuseBinding v) { binding = v; return this; }
        public Builder passthroughDir(Path v) { passthroughDir = v; return this; }
        public Builder fetchMemory(FetchMemory v) { fetchMemory = v; return this; }

        public LayerMountOptions build() {
            return new LayerMountOptions(prefetch, prefetchSizeDefault, backgroundFetch, backgroundWorkers,
                    fetchThreads, neighbourBytes, readTimeout, mountTimeout, cacheTimeout, readAheadKib,
                    accessListener, backgroundGate, debug, binding == null ? FuseBindings.byDefault() : binding,
                    passthroughDir, fetchMemory);
        }
    }

    /** The FUSE mount options for a layer named {@code fsName}. */
    MountOptions mountOptions(String fsName) {
        return MountOptions.forLayer(fsName).withMountTimeout(mountTimeout)
                .withTimeouts(cacheTimeout, cacheTimeout, cacheTimeout).withReadAheadKib(readAheadKib)
                .withPassthrough(passthroughDir != null);
    }
}
