package io.jstargz.snapshotter.grpc;

import com.google.protobuf.Timestamp;
import io.jstargz.snapshotter.model.Kind;
import io.jstargz.snapshotter.model.Mount;
import io.jstargz.snapshotter.model.SnapshotInfo;
import io.jstargz.snapshotter.proto.snapshots.Info;
import java.time.Instant;
import java.util.List;

/** Between the model and the containerd wire types. */
final class ProtoConvert {
    private ProtoConvert() {
    }

    static Info info(SnapshotInfo i) {
        return Info.newBuilder()
                .setName(i.name())
                .setParent(i.parent())
                .setKind(kind(i.kind()))
                .setCreatedAt(timestamp(i.created()))
                .setUpdatedAt(timestamp(i.updated()))
                .putAllLabels(i.labels())
                .build();
    }

    /** The name and labels of an Update request (the only parts Update uses). */
    static SnapshotInfo info(Info i) {
        return new SnapshotInfo(i.getName(), i.getParent(), kind(i.getKind()), Instant.EPOCH, Instant.EPOCH,
                i.getLabelsMap());
    }

    static List<io.jstargz.snapshotter.proto.types.Mount> mounts(List<Mount> mounts) {
        return mounts.stream().map(m -> io.jstargz.snapshotter.proto.types.Mount.newBuilder()
                .setType(m.type())
                .setSource(m.source())
                .addAllOptions(m.options())
                .build()).toList();
    }

    static Timestamp timestamp(Instant t) {
        return Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()).build();
    }

    private static io.jstargz.snapshotter.proto.snapshots.Kind kind(Kind k) {
        return switch (k) {
            case VIEW -> io.jstargz.snapshotter.proto.snapshots.Kind.VIEW;
            case ACTIVE -> io.jstargz.snapshotter.proto.snapshots.Kind.ACTIVE;
            case COMMITTED -> io.jstargz.snapshotter.proto.snapshots.Kind.COMMITTED;
        };
    }

    /** As containerd: anything but VIEW and ACTIVE (UNKNOWN included) is COMMITTED. */
    private static Kind kind(io.jstargz.snapshotter.proto.snapshots.Kind k) {
        return switch (k) {
            case VIEW -> Kind.VIEW;
            case ACTIVE -> Kind.ACTIVE;
            default -> Kind.COMMITTED;
        };
    }
}
