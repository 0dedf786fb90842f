package io.jstargz.snapshotter.store;

import io.jstargz.snapshotter.model.Kind;
import io.jstargz.snapshotter.model.SnapshotInfo;
import io.jstargz.snapshotter.model.Usage;
import java.time.Instant;
import java.util.Map;

/**
 * One row of the snapshots table with its labels.
 *
 * @param id         the directory id, stable across commit
 * @param parentId   0 when there is no parent
 * @param parentName {@code ""} when there is no parent
 * @param namespace  the containerd namespace the snapshot was created in, {@code ""} if the client sent none
 * @param usage      as stored at commit; zero for active and view snapshots
 */
public record StoredSnapshot(long id, String name, long parentId, String parentName, Kind kind, String namespace,
                             Instant created, Instant updated, Usage usage, Map<String, String> labels) {
    public StoredSnapshot {
        labels = Map.copyOf(labels);
    }

    /** The snapshot as containerd sees it. */
    public SnapshotInfo info() {
        return new SnapshotInfo(name, parentName, kind, created, updated, labels);
    }
}
