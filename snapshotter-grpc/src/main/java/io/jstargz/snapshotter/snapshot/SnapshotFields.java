package io.jstargz.snapshotter.snapshot;

import io.jstargz.snapshotter.model.SnapshotInfo;
import java.util.List;
import java.util.Optional;

/** The fields containerd's snapshot filters can name: {@code kind}, {@code name}, {@code parent}, {@code labels.*}. */
final class SnapshotFields {
    private SnapshotFields() {
    }

    static Optional<String> get(SnapshotInfo info, List<String> path) {
        if (path.isEmpty()) {
            return Optional.empty();
        }
        return switch (path.get(0)) {
            case "kind" -> Optional.of(info.kind().filterName());
            case "name" -> Optional.of(info.name());
            case "parent" -> Optional.of(info.parent());
            // a key with dots may be written unquoted: labels.a.b is the label "a.b"
            case "labels" -> Optional.ofNullable(info.labels().get(String.join(".", path.subList(1, path.size()))));
            default -> Optional.empty();
        };
    }
}
