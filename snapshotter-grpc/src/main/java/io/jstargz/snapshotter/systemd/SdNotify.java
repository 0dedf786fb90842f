package io.jstargz.snapshotter.systemd;

import io.grpc.netty.shaded.io.netty.bootstrap.Bootstrap;
import io.grpc.netty.shaded.io.netty.buffer.Unpooled;
import io.grpc.netty.shaded.io.netty.channel.Channel;
import io.grpc.netty.shaded.io.netty.channel.ChannelInboundHandlerAdapter;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** systemd's readiness protocol: one datagram to {@code $NOTIFY_SOCKET} (a no-op when not run by systemd). */
public final class SdNotify {
    private static final Logger LOG = LoggerFactory.getLogger(SdNotify.class);

    private SdNotify() {
    }

    /**
     * Sends {@code state} (e.g. {@code READY=1}) to {@code $NOTIFY_SOCKET}; returns whether it was sent. Failures
     * are logged, not thrown.
     */
    public static boolean notify(String state) {
        return notify(System.getenv("NOTIFY_SOCKET"), state);
    }

    /** Sends {@code state} to the notification socket {@code socket} ({@code null} or empty: nothing to do). */
    public static boolean notify(String socket, String state) {
        if (socket == null || socket.isEmpty()) {
            return false;
        }
        // "@name" is an abstract socket: its address starts with a NUL byte
        String path = socket.startsWith("@") ? "\0" + socket.substring(1) : socket;
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try {
            Channel ch = new Bootstrap().group(group).channel(EpollDomainDatagramChannel.class)
                    .handler(new ChannelInboundHandlerAdapter()).connect(new DomainSocketAddress(path)).sync()
                    .channel();
            ch.writeAndFlush(Unpooled.copiedBuffer(state, StandardCharsets.UTF_8)).sync();
            ch.close().sync();
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (Exception e) { // netty rethrows connect errors (checked IOExceptions) from sync()
            LOG.warn("cannot notify systemd at {}: {}", socket, e.toString());
            return false;
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }
}
