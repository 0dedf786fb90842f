package io.jstargz.snapshotter.grpc;

import io.grpc.ManagedChannel;
import io.grpc.Status;
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
import io.jstargz.snapshotter.proto.snapshots.ListSnapshotsResponse;
import io.jstargz.snapshotter.proto.snapshots.MountsRequest;
import io.jstargz.snapshotter.proto.snapshots.PrepareSnapshotRequest;
import io.jstargz.snapshotter.proto.snapshots.RemoveSnapshotRequest;
import io.jstargz.snapshotter.proto.snapshots.SnapshotsGrpc;
import io.jstargz.snapshotter.proto.snapshots.StatSnapshotRequest;
import io.jstargz.snapshotter.proto.types.Mount;
import io.jstargz.snapshotter.fs.WarmupLayer;
import io.jstargz.snapshotter.snapshot.LayerRequest;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
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
    private static final String ABSENT_LAYER = "sha256:" + "0".repeat(64);

    private GrpcWarmup() {
    }

    /** Runs the calls; failures are logged, never thrown. */
    public static void run(Path socket) {
        long start = System.nanoTime();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        ManagedChannel channel = channel(socket, group);
        try {
            for (int i = 0; i < ROUNDS; i++) {
                SnapshotsGrpc.SnapshotsBlockingStub s = SnapshotsGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(10, TimeUnit.SECONDS);
                expectFailure(() -> s.prepare(PrepareSnapshotRequest.newBuilder().setSnapshotter("jstargz")
                        .setKey("").setParent(ABSENT).putAllLabels(LayerRequest.criLabels(ABSENT,
                                "127.0.0.1:1/jstargz-warmup:1", ABSENT_LAYER, List.of(ABSENT_LAYER), ABSENT_LAYER))
                        .build()));
                expectFailure(() -> s.stat(StatSnapshotRequest.newBuilder().setKey(ABSENT).build()));
                expectFailure(() -> s.mounts(MountsRequest.newBuilder().setKey(ABSENT).build()));
                s.list(ListSnapshotsRequest.newBuilder().addFilters(LayerRequest.targetFilter(ABSENT_LAYER, ABSENT))
                        .build()).forEachRemaining(r -> { });
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

    /**
     * Pulls a layer lazily through the daemon's socket and reads it, as containerd's unpacker and then a container
     * do: a Prepare with the labels of a pull (answered ALREADY_EXISTS once the layer is mounted), the List and Stat
     * that find the committed layer, a Prepare of a container's snapshot on it, its Mounts, reads of the warm-up
     * layer's files through the overlay's lower directory (the layer's FUSE mount) from a child process
     * ({@link WarmupLayer#readFrom}), then Remove of both snapshots. For the AOT training run, whose root is its own:
     * unlike {@link #run}, this changes the snapshot store.
     *
     * @throws IOException a call or a read failed, naming it
     */
    public static void pull(Path socket, String imageRef, String layerDigest, String tocDigest)
            throws IOException {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        ManagedChannel channel = channel(socket, group);
        String chain = "sha256:" + "0".repeat(64);
        String container = "jstargz-training/container";
        try {
            SnapshotsGrpc.SnapshotsBlockingStub s = SnapshotsGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(60, TimeUnit.SECONDS);
            try {
                s.prepare(PrepareSnapshotRequest.newBuilder().setSnapshotter("jstargz")
                        .setKey("jstargz-training/extract " + chain).putAllLabels(LayerRequest.criLabels(chain,
                                imageRef, layerDigest, List.of(layerDigest), tocDigest)).build());
                throw new IOException("layer " + layerDigest + " of " + imageRef + " was not mounted lazily");
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() != Status.Code.ALREADY_EXISTS) {
                    throw new IOException("Prepare of layer " + layerDigest + " of " + imageRef + ": " + e, e);
                }
            }
            // what containerd's metadata store does next: finds the committed layer by its target, then stats it
            int found = 0;
            for (Iterator<ListSnapshotsResponse> it = s.list(ListSnapshotsRequest.newBuilder()
                    .addFilters(LayerRequest.targetFilter(chain, "")).build()); it.hasNext(); ) {
                found += it.next().getInfoCount();
            }
            if (found != 1) {
                throw new IOException("layer " + layerDigest + " of " + imageRef + " was mounted, but " + found
                        + " snapshots match its target " + chain);
            }
            s.stat(StatSnapshotRequest.newBuilder().setKey(chain).build());
            s.prepare(PrepareSnapshotRequest.newBuilder().setSnapshotter("jstargz").setKey(container).setParent(chain)
                    .build());
            Path lower = lowerDir(s.mounts(MountsRequest.newBuilder().setKey(container).build()).getMountsList());
            WarmupLayer.readFrom(lower, Duration.ofSeconds(60));
            WarmupLayer.exercise(lower, Duration.ofSeconds(60));
            s.remove(RemoveSnapshotRequest.newBuilder().setKey(container).build());
            s.remove(RemoveSnapshotRequest.newBuilder().setKey(chain).build());
        } catch (StatusRuntimeException e) {
            throw new IOException("pulling layer " + layerDigest + " of " + imageRef + " over " + socket + ": " + e, e);
        } finally {
            channel.shutdownNow();
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
        }
    }

    /** The one lower directory of an overlay mount on a single layer. */
    private static Path lowerDir(List<Mount> mounts) throws IOException {
        for (Mount m : mounts) {
            for (String o : m.getOptionsList()) {
                if (o.startsWith("lowerdir=")) {
                    return Path.of(o.substring("lowerdir=".length()));
                }
            }
        }
        throw new IOException("the mounts of a container on a lazily mounted layer have no lowerdir: " + mounts);
    }

    private static ManagedChannel channel(Path socket, EventLoopGroup group) {
        return NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .eventLoopGroup(group).channelType(EpollDomainSocketChannel.class).usePlaintext().build();
    }

    private static void expectFailure(Runnable call) {
        try {
            call.run();
        } catch (StatusRuntimeException expected) {
            // the snapshot is absent or the key invalid, as intended: nothing was changed
        }
    }
}
