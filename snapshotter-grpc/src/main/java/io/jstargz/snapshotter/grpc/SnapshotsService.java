package io.jstargz.snapshotter.grpc;

import com.google.protobuf.Empty;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.jstargz.snapshotter.snapshot.Snapshotter;
import io.jstargz.snapshotter.model.SnapshotInfo;
import io.jstargz.snapshotter.model.Usage;
import io.jstargz.snapshotter.proto.snapshots.CleanupRequest;
import io.jstargz.snapshotter.proto.snapshots.CommitSnapshotRequest;
import io.jstargz.snapshotter.proto.snapshots.ListSnapshotsRequest;
import io.jstargz.snapshotter.proto.snapshots.ListSnapshotsResponse;
import io.jstargz.snapshotter.proto.snapshots.MountsRequest;
import io.jstargz.snapshotter.proto.snapshots.MountsResponse;
import io.jstargz.snapshotter.proto.snapshots.PrepareSnapshotRequest;
import io.jstargz.snapshotter.proto.snapshots.PrepareSnapshotResponse;
import io.jstargz.snapshotter.proto.snapshots.RemoveSnapshotRequest;
import io.jstargz.snapshotter.proto.snapshots.SnapshotsGrpc;
import io.jstargz.snapshotter.proto.snapshots.StatSnapshotRequest;
import io.jstargz.snapshotter.proto.snapshots.StatSnapshotResponse;
import io.jstargz.snapshotter.proto.snapshots.UpdateSnapshotRequest;
import io.jstargz.snapshotter.proto.snapshots.UpdateSnapshotResponse;
import io.jstargz.snapshotter.proto.snapshots.UsageRequest;
import io.jstargz.snapshotter.proto.snapshots.UsageResponse;
import io.jstargz.snapshotter.proto.snapshots.ViewSnapshotRequest;
import io.jstargz.snapshotter.proto.snapshots.ViewSnapshotResponse;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** containerd's {@code containerd.services.snapshots.v1.Snapshots} service over a {@link Snapshotter}. */
public final class SnapshotsService extends SnapshotsGrpc.SnapshotsImplBase {
    /** Infos per List stream message, as containerd's own service sends them. */
    static final int LIST_BATCH = 100;
    /** containerd's namespace identifier syntax, then the metadata layer's sequence number. */
    private static final Pattern KEY_NAMESPACE = Pattern.compile("([A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*)/[0-9]+/");

    private static final Logger LOG = LoggerFactory.getLogger(SnapshotsService.class);

    private final Snapshotter snapshotter;

    public SnapshotsService(Snapshotter snapshotter) {
        this.snapshotter = snapshotter;
    }

    /** A call body that may fail with a snapshot or I/O error. */
    @FunctionalInterface
    private interface Call<T> {
        T run() throws Exception;
    }

    private static <T> void respond(String rpc, StreamObserver<T> out, Call<T> call) {
        long start = System.nanoTime();
        T response;
        try {
            response = call.run();
        } catch (Exception e) {
            StatusRuntimeException status = GrpcErrors.toStatus(rpc, e);
            LOG.debug("{}: {} in {} µs", rpc, status.getStatus().getCode(), (System.nanoTime() - start) / 1000);
            out.onError(status);
            return;
        }
        LOG.debug("{}: OK in {} µs", rpc, (System.nanoTime() - start) / 1000);
        out.onNext(response);
        out.onCompleted();
    }

    /**
     * The request's namespace: the {@code containerd-namespace} header, or else the prefix containerd's metadata
     * layer puts on keys ({@code <namespace>/<seq>/<key>}); containerd 1.6 does not forward the header to proxy
     * snapshotters.
     */
    static String namespace(String key) {
        String header = NamespaceInterceptor.NAMESPACE.get();
        if (!header.isEmpty()) {
            return header;
        }
        Matcher m = KEY_NAMESPACE.matcher(key);
        return m.lookingAt() ? m.group(1) : "";
    }

    @Override
    public void prepare(PrepareSnapshotRequest r, StreamObserver<PrepareSnapshotResponse> out) {
        respond("Prepare", out, () -> PrepareSnapshotResponse.newBuilder().addAllMounts(ProtoConvert.mounts(
                snapshotter.prepare(namespace(r.getKey()), r.getKey(), r.getParent(), r.getLabelsMap()))).build());
    }

    @Override
    public void view(ViewSnapshotRequest r, StreamObserver<ViewSnapshotResponse> out) {
        respond("View", out, () -> ViewSnapshotResponse.newBuilder().addAllMounts(ProtoConvert.mounts(
                snapshotter.view(namespace(r.getKey()), r.getKey(), r.getParent(), r.getLabelsMap()))).build());
    }

    @Override
    public void mounts(MountsRequest r, StreamObserver<MountsResponse> out) {
        respond("Mounts", out, () -> MountsResponse.newBuilder()
                .addAllMounts(ProtoConvert.mounts(snapshotter.mounts(r.getKey()))).build());
    }

    @Override
    public void commit(CommitSnapshotRequest r, StreamObserver<Empty> out) {
        respond("Commit", out, () -> {
            snapshotter.commit(r.getName(), r.getKey(), r.getLabelsMap(), r.getParent());
            return Empty.getDefaultInstance();
        });
    }

    @Override
    public void remove(RemoveSnapshotRequest r, StreamObserver<Empty> out) {
        respond("Remove", out, () -> {
            snapshotter.remove(r.getKey());
            return Empty.getDefaultInstance();
        });
    }

    @Override
    public void stat(StatSnapshotRequest r, StreamObserver<StatSnapshotResponse> out) {
        respond("Stat", out, () -> StatSnapshotResponse.newBuilder()
                .setInfo(ProtoConvert.info(snapshotter.stat(r.getKey()))).build());
    }

    @Override
    public void update(UpdateSnapshotRequest r, StreamObserver<UpdateSnapshotResponse> out) {
        respond("Update", out, () -> UpdateSnapshotResponse.newBuilder().setInfo(ProtoConvert.info(
                snapshotter.update(ProtoConvert.info(r.getInfo()), r.getUpdateMask().getPathsList()))).build());
    }

    @Override
    public void list(ListSnapshotsRequest r, StreamObserver<ListSnapshotsResponse> out) {
        long start = System.nanoTime();
        List<SnapshotInfo> infos;
        try {
            infos = snapshotter.list(r.getFiltersList());
        } catch (Exception e) {
            StatusRuntimeException status = GrpcErrors.toStatus("List", e);
            LOG.debug("List: {} in {} µs", status.getStatus().getCode(), (System.nanoTime() - start) / 1000);
            out.onError(status);
            return;
        }
        for (int i = 0; i < infos.size(); i += LIST_BATCH) {
            ListSnapshotsResponse.Builder b = ListSnapshotsResponse.newBuilder();
            infos.subList(i, Math.min(i + LIST_BATCH, infos.size())).forEach(info -> b.addInfo(ProtoConvert.info(info)));
            out.onNext(b.build());
        }
        out.onCompleted();
        LOG.debug("List: OK, {} of them, in {} µs", infos.size(), (System.nanoTime() - start) / 1000);
    }

    @Override
    public void usage(UsageRequest r, StreamObserver<UsageResponse> out) {
        respond("Usage", out, () -> {
            Usage u = snapshotter.usage(r.getKey());
            return UsageResponse.newBuilder().setSize(u.size()).setInodes(u.inodes()).build();
        });
    }

    @Override
    public void cleanup(CleanupRequest r, StreamObserver<Empty> out) {
        respond("Cleanup", out, () -> {
            snapshotter.cleanup();
            return Empty.getDefaultInstance();
        });
    }
}
