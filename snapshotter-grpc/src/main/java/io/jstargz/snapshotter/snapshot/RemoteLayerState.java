package io.jstargz.snapshotter.snapshot;

/**
 * The life of a layer containerd asked for with enough labels to try a lazy mount.
 * <pre>
 *   Prepare --mounted--> MOUNTED --restore or check fails--> FAILED --restore succeeds--> MOUNTED
 *   Prepare --fallback-> FALLBACK (final: containerd pulled the layer into an ordinary overlay snapshot)
 * </pre>
 */
public enum RemoteLayerState {
    MOUNTED,
    FALLBACK,
    FAILED
}
