package io.jstargz.snapshotter.snapshot;

/**
 * The snapshot a remote layer is prepared for.
 *
 * @param id        the snapshot's directory id under {@code <root>/snapshots/}
 * @param key       the active snapshot's key, as containerd sent it
 * @param parent    the parent's name, or {@code ""}
 * @param namespace the containerd namespace from the request header, or {@code ""}
 * @param target    the {@code containerd.io/snapshot.ref} label: the chain ID to commit under
 * @param source    where the layer lives
 */
public record SnapshotRef(long id, String key, String parent, String namespace, String target, LayerSource source) {
}
