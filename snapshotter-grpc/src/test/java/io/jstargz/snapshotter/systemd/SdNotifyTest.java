package io.jstargz.snapshotter.systemd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.netty.shaded.io.netty.bootstrap.Bootstrap;
import io.grpc.netty.shaded.io.netty.channel.Channel;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.SimpleChannelInboundHandler;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainDatagramPacket;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The readiness datagram arrives at a socket like systemd's (bound here with netty, another implementation). */
class SdNotifyTest {

    /** Binds a datagram socket at {@code address} (as systemd does) and returns the first datagram it receives. */
    private static String received(String address, String notifyAs) throws Exception {
        CompletableFuture<String> received = new CompletableFuture<>();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try {
            Channel systemd = new Bootstrap().group(group).channel(EpollDomainDatagramChannel.class)
                    .handler(new SimpleChannelInboundHandler<DomainDatagramPacket>() {
                        @Override
                        protected void channelRead0(ChannelHandlerContext ctx, DomainDatagramPacket p) {
                            received.complete(p.content().toString(StandardCharsets.UTF_8));
                        }
                    }).bind(new DomainSocketAddress(address)).sync().channel();
            assertTrue(SdNotify.notify(notifyAs, "READY=1"));
            String got = received.get(10, TimeUnit.SECONDS);
            systemd.close().sync();
            return got;
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void sendsStateToTheNotifySocket(@TempDir Path tmp) throws Exception {
        Path socket = tmp.resolve("notify");
        assertEquals("READY=1", received(socket.toString(), socket.toString()));
        assertFalse(SdNotify.notify(null, "READY=1"));
        assertFalse(SdNotify.notify(tmp.resolve("absent").toString(), "READY=1"));
        assertFalse(SdNotify.notify("/" + "x".repeat(200), "READY=1"), "longer than sun_path");
    }

    @Test
    void anAtSignNamesAnAbstractSocket() throws Exception {
        String name = "jstargz-sdnotify-test-" + ProcessHandle.current().pid();
        assertEquals("READY=1", received("\0" + name, "@" + name));
    }
}
