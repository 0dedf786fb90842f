package io.jstargz.snapshotter.snapshot;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;

/**
 * The lazy-mount side of the snapshotter (as the reference's {@code snapshot.FileSystem}): mounts one layer's
 * filesystem at a snapshot's {@code fs} directory. The snapshotter owns the decision of what to try
 * ({@link LayerRequest}), the state machine ({@link RemoteLayerState}), the records and the containerd protocol
 * (commit under the target name, answer ALREADY_EXISTS); an implementation only mounts, checks and unmounts.
 * Methods are called concurrently for different mount points.
 */
public interface RemoteLayerService extends AutoCloseable {

    /**
     * Mounts the layer lazily at {@code mountPoint} (an existing empty directory): waits, up to the configured mount
     * timeout, until the layer is opened and its TOC checked as {@code request} says, and answers
     * {@link PrepareOutcome.Mounted} while the mount may still be finishing ({@link PrepareOutcome.Mounted#ready()};
     * {@link #check} waits for it). It also starts on the image's other layers ({@link LayerRequest#neighbours()}), so
     * an N-layer image costs about one round trip. Expected failures (not eStargz, TOC digest mismatch, registry
     * unreachable, timeout) are a {@link PrepareOutcome.Fallback} with the reason, never an exception; on fallback
     * nothing is left mounted.
     *
     * @param request a request the snapshotter decided to try: never one it refused
     */
    PrepareOutcome prepare(LayerRequest request, Path mountPoint);

    /**
     * Checks that the layer mounted at {@code mountPoint} can serve reads now (called before containerd gets mounts
     * of a snapshot whose chain contains it). Must be cheap when the layer is fully fetched.
     *
     * @throws LayerUnavailableException with the reason; containerd sees UNAVAILABLE
     */
    void check(Path mountPoint) throws LayerUnavailableException;

    /**
     * Mounts again a layer that a previous run mounted (at daemon start, and on first use if that failed).
     *
     * @param request the layer, from its snapshot's stored labels, expecting the TOC it was mounted with
     * @throws LayerUnavailableException with the reason; the layer is then recorded as FAILED
     */
    void restore(LayerRequest request, Path mountPoint) throws LayerUnavailableException;

    /**
     * The snapshot of the layer at {@code mountPoint} is gone: unmount the layer and forget what was kept for it.
     * Nothing mounted there is not an error.
     */
    void unmount(Path mountPoint) throws IOException;

    /**
     * Exercises the mount path once before the daemon serves, so the first real Prepare runs warm code. Must not
     * throw; a service with nothing to warm does nothing.
     *
     * @param dir a directory of its own (kept across starts)
     */
    default void warmUp(Path dir) {
    }

    /**
     * Gives back disk space the service's caches may free, when their filesystem holds less free space than they
     * keep: called before each change to the metadata database, which fails on a full disk. Must not throw.
     */
    default void keepFreeSpace() {
    }

    /**
     * Why the service cannot keep up what it promises now (the chunk cache's free space watermark, when the cache has
     * nothing left to give back), or empty when it can. Checked when asked; cheap enough for every status call and
     * metrics scrape.
     */
    default Optional<String> degraded() {
        return Optional.empty();
    }

    /**
     * Mount points under the root whose layer mounts a previous daemon left alive for this one to adopt (their FUSE
     * connections were kept): start-up neither aborts nor detaches them, and {@link #restore} adopts them.
     */
    default Set<Path> keptMounts() {
        return Set.of();
    }

    /** Every recorded layer was restored (or failed to be): what was kept for layers not restored is released. */
    default void restored() {
    }

    /** The FUSE binding serving the layers ({@code kernel}, {@code jnr}), for the log and {@code jstargz status}. */
    String fuseBinding();

    /**
     * What a crash of the daemon does to the mounted layers, for {@code jstargz status}: whether they outlive it, or
     * why not.
     */
    default String crashSurvival() {
        return "layers end with a crash of the daemon";
    }

    /** What an upgrade ({@code jstargz serve --takeover}) does to the mounted layers, for {@code jstargz status}. */
    default String upgrade() {
        return "layers end with an upgrade: a restart unmounts them";
    }

    /** Cache fill of the layer mounted at {@code mountPoint}, for {@code jstargz status}. */
    default FetchProgress progress(Path mountPoint) {
        return FetchProgress.UNKNOWN;
    }

    /**
     * Unmounts every layer this service mounted and releases its resources; what a restart needs to mount them
     * again ({@link #restore}) is kept.
     */
    @Override
    void close();
}
