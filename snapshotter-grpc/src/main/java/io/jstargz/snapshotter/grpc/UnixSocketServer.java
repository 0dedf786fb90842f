package io.jstargz.snapshotter.grpc;

import io.grpc.Attributes;
import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerTransportFilter;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.jstargz.snapshotter.sys.ThreadPools;
import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.ThreadFactory;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A gRPC server on a unix socket (mode 0660). A stale socket file (nobody accepts on it) is replaced; a live one
 * (another process serves it) is never taken over.
 */
public final class UnixSocketServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(UnixSocketServer.class);
    /** Calls served at once; a Prepare may wait up to the mount timeout for its layer. */
    private static final int HANDLER_THREADS = 16;
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;

    private final Path socket;
    private final Server server;
    private final EventLoopGroup eventLoops;
    private final ExecutorService handlers;

    private UnixSocketServer(Path socket, Server server, EventLoopGroup eventLoops, ExecutorService handlers) {
        this.socket = socket;
        this.server = server;
        this.eventLoops = eventLoops;
        this.handlers = handlers;
    }

    /** Binds {@code socket} (creating its directory) and serves {@code services} with the namespace header. */
    public static UnixSocketServer start(Path socket, List<BindableService> services) throws IOException {
        if (!Epoll.isAvailable()) {
            throw new IOException("epoll transport unavailable, cannot serve a unix socket", Epoll.unavailabilityCause());
        }
        claim(socket);
        EventLoopGroup loops = new MultiThreadIoEventLoopGroup(2,
                (ThreadFactory) r -> daemonThread(r, "jstargz-grpc-io"), EpollIoHandler.newFactory());
        ExecutorService handlers = ThreadPools.bounded("jstargz-grpc", HANDLER_THREADS);
        NettyServerBuilder builder = NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .channelType(EpollServerDomainSocketChannel.class)
                .bossEventLoopGroup(loops)
                .workerEventLoopGroup(loops)
                .executor(handlers);
        builder.addTransportFilter(new ServerTransportFilter() {
            @Override
            public Attributes transportReady(Attributes attributes) {
                LOG.debug("client connected on {}", socket);
                return attributes;
            }
        });
        NamespaceInterceptor namespaces = new NamespaceInterceptor();
        services.forEach(s -> builder.addService(ServerInterceptors.intercept(s, namespaces)));
        Server server = builder.build();
        try {
            server.start();
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw----"));
        } catch (IOException | RuntimeException e) {
            server.shutdownNow();
            loops.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            handlers.shutdownNow();
            throw new IOException("cannot serve on " + socket + ": " + e.getMessage(), e);
        }
        LOG.info("serving on {}", socket);
        return new UnixSocketServer(socket, server, loops, handlers);
    }

    private static Thread daemonThread(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** Makes {@code socket} free to bind: creates the directory, removes a stale socket, refuses a live one. */
    private static void claim(Path socket) throws IOException {
        Files.createDirectories(socket.toAbsolutePath().getParent());
        if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        int mode = (Integer) Files.getAttribute(socket, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        if ((mode & S_IFMT) != S_IFSOCK) {
            throw new IOException(socket + " exists and is not a socket; not replacing it");
        }
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(UnixDomainSocketAddress.of(socket));
            throw new IOException("another process is serving on " + socket + "; stop it first");
        } catch (ConnectException stale) {
            LOG.info("replacing stale socket {}", socket);
            Files.delete(socket);
        }
    }

    /** Stops accepting calls, lets running calls finish (up to 10 s), and removes the socket file. */
    @Override
    public void close() {
        server.shutdown();
        try {
            if (!server.awaitTermination(10, TimeUnit.SECONDS)) {
                server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            server.shutdownNow();
            Thread.currentThread().interrupt();
        } finally {
            handlers.shutdownNow();
            eventLoops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            try {
                Files.deleteIfExists(socket);
            } catch (IOException e) {
                LOG.warn("cannot remove socket {}: {}", socket, e.getMessage());
            }
        }
    }
}
