package io.jstargz.snapshotter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.FieldMask;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.jstargz.snapshotter.proto.snapshots.CleanupRequest;
import io.jstargz.snapshotter.proto.snapshots.CommitSnapshotRequest;
import io.jstargz.snapshotter.proto.snapshots.Info;
import io.jstargz.snapshotter.proto.snapshots.ListSnapshotsRequest;
import io.jstargz.snapshotter.proto.snapshots.ListSnapshotsResponse;
import io.jstargz.snapshotter.proto.snapshots.MountsRequest;
import io.jstargz.snapshotter.proto.snapshots.PrepareSnapshotRequest;
import io.jstargz.snapshotter.proto.snapshots.RemoveSnapshotRequest;
import io.jstargz.snapshotter.proto.snapshots.SnapshotsGrpc;
import io.jstargz.snapshotter.proto.snapshots.StatSnapshotRequest;
import io.jstargz.snapshotter.proto.snapshots.UpdateSnapshotRequest;
import io.jstargz.snapshotter.proto.snapshots.UsageRequest;
import io.jstargz.snapshotter.proto.snapshots.UsageResponse;
import io.jstargz.snapshotter.proto.snapshots.ViewSnapshotRequest;
import io.jstargz.snapshotter.proto.types.Mount;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** Short forms of the Snapshots RPCs for tests, over one stub. */
final class Rpc {
    private final SnapshotsGrpc.SnapshotsBlockingStub stub;

    Rpc(SnapshotsGrpc.SnapshotsBlockingStub stub) {
        this.stub = stub;
    }

    List<Mount> prepare(String key, String parent, Map<String, String> labels) {
        return stub.prepare(PrepareSnapshotRequest.newBuilder().setSnapshotter("jstargz").setKey(key)
                .setParent(parent).putAllLabels(labels).build()).getMountsList();
    }

    List<Mount> prepare(String key, String parent) {
        return prepare(key, parent, Map.of());
    }

    List<Mount> view(String key, String parent) {
        return stub.view(ViewSnapshotRequest.newBuilder().setKey(key).setParent(parent).build()).getMountsList();
    }

    List<Mount> mounts(String key) {
        return stub.mounts(MountsRequest.newBuilder().setKey(key).build()).getMountsList();
    }

    void commit(String name, String key, Map<String, String> labels) {
        stub.commit(CommitSnapshotRequest.newBuilder().setName(name).setKey(key).putAllLabels(labels).build());
    }

    void commit(String name, String key) {
        commit(name, key, Map.of());
    }

    /** prepare + commit: a committed layer {@code name} on {@code parent}. */
    void layer(String name, String parent) {
        prepare(name + "-active", parent);
        commit(name, name + "-active");
    }

    void remove(String key) {
        stub.remove(RemoveSnapshotRequest.newBuilder().setKey(key).build());
    }

    Info stat(String key) {
        return stub.stat(StatSnapshotRequest.newBuilder().setKey(key).build()).getInfo();
    }

    Info update(Info info, String... paths) {
        return stub.update(UpdateSnapshotRequest.newBuilder().setInfo(info)
                .setUpdateMask(FieldMask.newBuilder().addAllPaths(Arrays.asList(paths))).build()).getInfo();
    }

    void cleanup() {
        stub.cleanup(CleanupRequest.newBuilder().build());
    }

    UsageResponse usage(String key) {
        return stub.usage(UsageRequest.newBuilder().setKey(key).build());
    }

    /** The List stream's messages. */
    List<ListSnapshotsResponse> listMessages(String... filters) {
        List<ListSnapshotsResponse> out = new ArrayList<>();
        stub.list(ListSnapshotsRequest.newBuilder().addAllFilters(Arrays.asList(filters)).build())
                .forEachRemaining(out::add);
        return out;
    }

    /** The names List returns, in order. */
    List<String> list(String... filters) {
        List<String> names = new ArrayList<>();
        listMessages(filters).forEach(m -> m.getInfoList().forEach(i -> names.add(i.getName())));
        return names;
    }

    /** Asserts {@code call} fails with {@code code}; returns the status description. */
    static String fails(Status.Code code, Runnable call) {
        try {
            call.run();
        } catch (StatusRuntimeException e) {
            assertEquals(code, e.getStatus().getCode(), () -> "status: " + e.getStatus());
            return e.getStatus().getDescription();
        }
        return fail("expected " + code);
    }
}
