package io.jstargz.snapshotter.model;

import java.time.Instant;
import java.util.Map;

/**
 * What containerd knows about a snapshot: containerd's {@code snapshots.Info}.
 *
 * @param name   the key (active, view) or the committed name
 * @param parent the parent's name, or {@code ""} for none
 * @param labels never holds an empty value (containerd drops those)
 */
public record SnapshotInfo(String name, String parent, Kind kind, Instant created, Instant updated,
                           Map<String, String> labels) {
    public SnapshotInfo {
        labels = Map.copyOf(labels);
    }
}
