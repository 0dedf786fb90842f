package io.jstargz.snapshotter.grpc;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.jstargz.snapshotter.proto.introspection.IntrospectionGrpc;
import io.jstargz.snapshotter.proto.introspection.ListLayersRequest;
import io.jstargz.snapshotter.proto.snapshots.ListSnapshotsRequest;
import io.jstargz.snapshotter.proto.snapshots.MountsRequest;
import io.jstargz.snapshotter.proto.snapshots.PrepareSnapshotRequest;
import io.jstargz.snapshotter.proto.snapshots.SnapshotsGrpc;
import io.jstargz.snapshotter.proto.snapshots.StatSnapshotRequest;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls the daemon's own socket a few times before it reports ready, the way containerd will (a Prepare with the
 * labels of a pull, Stat, Mounts, List), with requests that change nothing: the first calls of a cold JVM cost
 * hundreds of milliseconds in the gRPC stack, which would otherwise land on the first pull.
 */
public final class GrpcWarmup {
    private static final Logger LOG = LoggerFactory.getLogger(GrpcWarmup.class);
    private static final int ROUNDS = 10;
    private static final String ABSENT = "jstargz-warmup/0/absent";

    private GrpcWarmup() {
    }

    /** Runs the calls; failures are logged, never thrown. */
    public static void run(Path socket) {
        long start = System.nanoTime();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        ManagedChannel channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .eventLoopGroup(group).channelType(EpollDomainSocketChannel.class).usePlaintext().build();
        try {
            for (int i = 0; i < ROUNDS; i++) {
                SnapshotsGrpc.SnapshotsBlockingStub s = SnapshotsGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(10, TimeUnit.SECONDS);
                expectFailure(() -> s.prepare(PrepareSnapshotRequest.newBuilder().setSnapshotter("jstargz")
                        .setKey("").setParent(ABSENT).putAllLabels(Map.of("containerd.io/snapshot.ref", ABSENT,
                                "containerd.io/snapshot/cri.image-ref", "127.0.0.1:1/jstargz-warmup:1"))
                        .build()));
                expectFailure(() -> s.stat(StatSnapshotRequest.newBuilder().setKey(ABSENT).build()));
                expectFailure(() -> s.mounts(MountsRequest.newBuilder().setKey(ABSENT).build()));
                s.list(ListSnapshotsRequest.newBuilder().addFilters("name==\"" + ABSENT + "\"").build())
                        .forEachRemaining(r -> { });
                IntrospectionGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .listLayers(ListLayersRequest.newBuilder().setNamespace(ABSENT).build());
            }
            LOG.debug("gRPC warmed up in {} ms", (System.nanoTime() - start) / 1_000_000);
        } catch (RuntimeException e) {
            LOG.warn("warming up the gRPC service failed: {}", e.toString());
        } finally {
            channel.shutdownNow();
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
        }
    }

    private static void expectFailure(Runnable call) {
        try {
            call.run();
        } catch (StatusRuntimeException expected) {
            // the snapshot is absent or the key invalid, as intended: nothing was changed
        }
    }
}
