package io.jstargz.snapshotter.snapshot;

import io.jstargz.snapshotter.store.StoredSnapshot;
import java.util.Optional;

/**
 * One snapshot as {@code jstargz status} shows it.
 *
 * @param remote   the remote-layer decision, when containerd asked for this layer with a target
 * @param progress cache fill of a mounted remote layer; {@link FetchProgress#UNKNOWN} otherwise
 */
public record LayerStatus(StoredSnapshot snapshot, Optional<RemoteLayerRecord> remote, FetchProgress progress) {
}
