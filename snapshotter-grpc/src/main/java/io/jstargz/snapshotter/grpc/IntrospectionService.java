package io.jstargz.snapshotter.grpc;

import io.grpc.stub.StreamObserver;
import io.jstargz.process.ProcessMemory;
import io.jstargz.snapshotter.snapshot.LayerStatus;
import io.jstargz.snapshotter.snapshot.RemoteLayerService;
import io.jstargz.snapshotter.snapshot.Snapshotter;
import io.jstargz.snapshotter.proto.introspection.IntrospectionGrpc;
import io.jstargz.snapshotter.proto.introspection.Layer;
import io.jstargz.snapshotter.proto.introspection.ListLayersRequest;
import io.jstargz.snapshotter.proto.introspection.ListLayersResponse;
import io.jstargz.snapshotter.proto.introspection.RemoteLayer;
import io.jstargz.snapshotter.snapshot.RemoteLayerRecord;
import io.jstargz.snapshotter.store.StoredSnapshot;

/** {@code jstargz.v1.Introspection}: what {@code jstargz status} shows. */
public final class IntrospectionService extends IntrospectionGrpc.IntrospectionImplBase {
    private final Snapshotter snapshotter;
    private final RemoteLayerService remote;
    private final String crashSurvival;
    private final String upgrade;
    private final long memoryBoundBytes;

    /**
     * {@code remote}: the service serving the remote layers (its FUSE binding, what a crash and an upgrade do to them,
     * whether it is degraded); {@code memoryBoundBytes}: the process bound
     * ({@link io.jstargz.snapshotter.config.MemoryBudget}).
     */
    public IntrospectionService(Snapshotter snapshotter, RemoteLayerService remote, long memoryBoundBytes) {
        this.snapshotter = snapshotter;
        this.remote = remote;
        this.crashSurvival = remote.crashSurvival();
        this.upgrade = remote.upgrade();
        this.memoryBoundBytes = memoryBoundBytes;
    }

    @Override
    public void listLayers(ListLayersRequest request, StreamObserver<ListLayersResponse> out) {
        ListLayersResponse.Builder response = ListLayersResponse.newBuilder().setFuseBinding(remote.fuseBinding())
                .setCrashSurvival(crashSurvival).setUpgrade(upgrade).setMemoryBoundBytes(memoryBoundBytes);
        try {
            remote.degraded().ifPresent(response::setDegraded);
            response.setResidentBytes(ProcessMemory.self().residentBytes());
            for (LayerStatus status : snapshotter.status()) {
                StoredSnapshot s = status.snapshot();
                if (!request.getNamespace().isEmpty() && !request.getNamespace().equals(s.namespace())) {
                    continue;
                }
                Layer.Builder layer = Layer.newBuilder()
                        .setName(s.name())
                        .setParent(s.parentName())
                        .setKind(s.kind().filterName())
                        .setNamespace(s.namespace())
                        .setId(s.id())
                        .setCreatedAt(ProtoConvert.timestamp(s.created()))
                        .setSizeBytes(s.usage().size());
                status.remote().ifPresent(r -> layer.setRemote(remote(r, status)));
                response.addLayers(layer);
            }
        } catch (Exception e) {
            out.onError(GrpcErrors.toStatus("ListLayers", e));
            return;
        }
        out.onNext(response.build());
        out.onCompleted();
    }

    private static RemoteLayer remote(RemoteLayerRecord r, LayerStatus status) {
        return RemoteLayer.newBuilder()
                .setImageRef(r.imageRef())
                .setLayerDigest(r.layerDigest())
                .setTocDigest(r.tocDigest())
                .setMountPoint(r.mountPoint().toString())
                .setState(switch (r.state()) {
                    case MOUNTED -> RemoteLayer.State.MOUNTED;
                    case FALLBACK -> RemoteLayer.State.FALLBACK;
                    case FAILED -> RemoteLayer.State.FAILED;
                })
                .setReason(r.reason())
                .setFetchedBytes(status.progress().fetchedBytes())
                .setTotalBytes(status.progress().totalBytes())
                .setUpdatedAt(ProtoConvert.timestamp(r.updated()))
                .build();
    }
}
