package io.jstargz.image.containerd;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.jstargz.snapshotter.proto.snapshots.CommitSnapshotRequest;
import io.jstargz.snapshotter.proto.snapshots.PrepareSnapshotRequest;
import io.jstargz.snapshotter.proto.snapshots.RemoveSnapshotRequest;
import io.jstargz.snapshotter.proto.snapshots.SnapshotsGrpc;
import io.jstargz.snapshotter.proto.snapshots.StatSnapshotRequest;
import io.jstargz.snapshotter.proto.types.Mount;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** One snapshotter, through containerd's snapshots service (so containerd records the snapshots in its namespace). */
final class Snapshots {
    /** A Prepare may mount a layer from the registry, which waits for its TOC. */
    private static final long CALL_SECONDS = 300;

    private final ContainerdConnection connection;
    private final SnapshotsGrpc.SnapshotsBlockingStub stub;
    private final String snapshotter;

    Snapshots(ContainerdConnection connection, String leaseId, String snapshotter) {
        this.connection = connection;
        this.stub = connection.leased(SnapshotsGrpc.newBlockingStub(connection.channel()), leaseId);
        this.snapshotter = snapshotter;
    }

    /** Whether a snapshot named {@code key} exists. */
    boolean exists(String key) throws IOException {
        try {
            stub.withDeadlineAfter(60, TimeUnit.SECONDS).stat(StatSnapshotRequest.newBuilder()
                    .setSnapshotter(snapshotter).setKey(key).build());
            return true;
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
                return false;
            }
            throw failed("snapshot " + key, e);
        }
    }

    /**
     * Prepares an active snapshot; empty when the snapshotter answers that the target its labels name exists (it
     * mounted the layer remotely), else the mounts to unpack the layer onto.
     */
    Optional<List<Mount>> prepare(String key, String parent, Map<String, String> labels) throws IOException {
        try {
            return Optional.of(stub.withDeadlineAfter(CALL_SECONDS, TimeUnit.SECONDS).prepare(PrepareSnapshotRequest
                    .newBuilder().setSnapshotter(snapshotter).setKey(key).setParent(parent).putAllLabels(labels)
                    .build()).getMountsList());
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.ALREADY_EXISTS) {
                return Optional.empty();
            }
            throw failed("preparing snapshot " + key, e);
        }
    }

    void commit(String name, String key) throws IOException {
        try {
            stub.withDeadlineAfter(CALL_SECONDS, TimeUnit.SECONDS).commit(CommitSnapshotRequest.newBuilder()
                    .setSnapshotter(snapshotter).setName(name).setKey(key).build());
        } catch (StatusRuntimeException e) {
            throw failed("committing snapshot " + key + " as " + name, e);
        }
    }

    /** Removes an active snapshot a failed unpack leaves; a failure to is left to containerd's garbage collector. */
    void removeQuietly(String key) {
        try {
            stub.withDeadlineAfter(60, TimeUnit.SECONDS).remove(RemoveSnapshotRequest.newBuilder()
                    .setSnapshotter(snapshotter).setKey(key).build());
        } catch (StatusRuntimeException e) {
            // the lease's expiry collects it
        }
    }

    private IOException failed(String what, StatusRuntimeException e) {
        return connection.failed("snapshotter " + snapshotter + ": " + what, e);
    }
}
