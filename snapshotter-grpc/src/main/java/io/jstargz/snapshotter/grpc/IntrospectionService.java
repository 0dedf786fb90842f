package io.jstargz.snapshotter.grpc;

import io.grpc.stub.StreamObserver;
import io.jstargz.snapshotter.snapshot.LayerStatus;
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
    private final String fuseBinding;
    private final String crashSurvival;
    private final String upgrade;

    /**
     * {@code fuseBinding}: the name of the FUSE binding serving the remote layers; {@code crashSurvival}: what a crash
     * does to them ({@link io.jstargz.snapshotter.snapshot.RemoteLayerService#crashSurvival}); {@code upgrade}: what an
     * upgrade does to them ({@link io.jstargz.snapshotter.snapshot.RemoteLayerService#upgrade}).
     */
    public IntrospectionService(Snapshotter snapshotter, String fuseBinding, String crashSurvival, String upgrade) {
        this.snapshotter = snapshotter;
        this.fuseBinding = fuseBinding;
        this.crashSurvival = crashSurvival;
        this.upgrade = upgrade;
    }

    @Override
    public void listLayers(ListLayersRequest request, StreamObserver<ListLayersResponse> out) {
        ListLayersResponse.Builder response = ListLayersResponse.newBuilder().setFuseBinding(fuseBinding)
                .setCrashSurvival(crashSurvival).setUpgrade(upgrade);
        try {
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
