package io.jstargz.image.containerd;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A client connection to containerd's API on its unix socket, in one namespace: every stub it hands out sends the
 * {@code containerd-namespace} header (and, for the calls of a pull, the {@code containerd-lease} header), and its
 * errors say what failed where, with containerd's own status.
 */
public final class ContainerdConnection implements Closeable {
    private static final Metadata.Key<String> NAMESPACE =
            Metadata.Key.of("containerd-namespace", Metadata.ASCII_STRING_MARSHALLER);
    private static final Metadata.Key<String> LEASE =
            Metadata.Key.of("containerd-lease", Metadata.ASCII_STRING_MARSHALLER);

    private final Path socket;
    private final String namespace;
    private final EventLoopGroup group;
    private final ManagedChannel channel;

    private ContainerdConnection(Path socket, String namespace) {
        this.socket = socket;
        this.namespace = namespace;
        this.group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        this.channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .eventLoopGroup(group)
                .channelType(EpollDomainSocketChannel.class)
                .usePlaintext()
                .build();
    }

    /**
     * Connects (lazily, on the first call) to containerd at {@code socket}.
     *
     * @throws NoSuchFileException when there is no socket there, naming {@code forWhat}
     */
    public static ContainerdConnection open(Path socket, String namespace, String forWhat) throws IOException {
        if (!Files.exists(socket)) {
            throw new NoSuchFileException(socket + " (containerd's socket, for " + forWhat + ")");
        }
        return new ContainerdConnection(socket, namespace);
    }

    /** {@code stub} on this connection's channel, in its namespace. */
    public <S extends AbstractStub<S>> S stub(S stub) {
        return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers(null)));
    }

    /** {@code stub} in this namespace, its calls under lease {@code leaseId}. */
    public <S extends AbstractStub<S>> S leased(S stub, String leaseId) {
        return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers(leaseId)));
    }

    private Metadata headers(String leaseId) {
        Metadata headers = new Metadata();
        headers.put(NAMESPACE, namespace);
        if (leaseId != null) {
            headers.put(LEASE, leaseId);
        }
        return headers;
    }

    /** The channel the stubs are built on. */
    public ManagedChannel channel() {
        return channel;
    }

    /** An exception for a failed call, prefixed with this connection: its socket and namespace. */
    public IOException failed(String what, StatusRuntimeException e) {
        return failed(this, what, e);
    }

    /**
     * An exception for a failed call: {@code where} (which names the socket): {@code what}: containerd's status. A
     * missing object is a {@link NoSuchFileException}; an unreachable containerd says so.
     */
    public IOException failed(Object where, String what, StatusRuntimeException e) {
        Status status = e.getStatus();
        if (status.getCode() == Status.Code.UNAVAILABLE) {
            return new IOException(where + ": " + what + ": containerd is not reachable (" + status.getDescription()
                    + "); is it running?", e);
        }
        String message = where + ": " + what + ": " + status.getCode() + " " + status.getDescription();
        return status.getCode() == Status.Code.NOT_FOUND ? new NoSuchFileException(message)
                : new IOException(message, e);
    }

    @Override
    public void close() {
        channel.shutdownNow();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    @Override
    public String toString() {
        return "containerd at " + socket + " (namespace " + namespace + ")";
    }
}
