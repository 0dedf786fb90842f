package io.jstargz.bench;

import io.jstargz.concurrent.Threads;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A TCP proxy on 127.0.0.1 that counts the bytes it carries and makes loopback look like a network link: every byte
 * is delivered {@code oneWayDelay} after it was sent, and each direction is a serial link of {@code bitsPerSecond}
 * shared by all connections (a full-duplex link: requests and responses do not compete). A chunk read at time
 * {@code a} finishes transmission at {@code max(a, link free) + size / rate} and is delivered one propagation delay
 * later; chunks are delivered in order at their scheduled times, not by sleeping per read. A new connection's first
 * bytes additionally wait one round trip, the cost of the TCP handshake a real link would have. The proxy does not
 * model TCP's congestion window: its buffers decouple the two endpoints' TCP stacks. Without delay and rate limit
 * it only relays and counts.
 */
public final class LinkProxy implements Closeable {
    /** Bytes read at once from a socket: 2.6 ms of transmission at 200 Mbit/s. */
    private static final int CHUNK = 64 * 1024;
    /** Bytes a direction may hold read but undelivered before it stops reading (TCP back-pressure). */
    private static final long QUEUE_LIMIT = 4L * 1024 * 1024;

    private final ServerSocket server;
    private final InetSocketAddress upstream;
    private final long delayNanos;
    private final Link toUpstream;
    private final Link toClient;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final AtomicLong connections = new AtomicLong();
    private final Activity activity = new Activity();
    private volatile boolean closed;

    /** What crossed the link so far. */
    public record Counters(long connections, long bytesToUpstream, long bytesToClient) {
        public Counters minus(Counters o) {
            return new Counters(connections - o.connections, bytesToUpstream - o.bytesToUpstream,
                    bytesToClient - o.bytesToClient);
        }
    }

    private LinkProxy(ServerSocket server, InetSocketAddress upstream, long delayNanos, long bitsPerSecond) {
        this.server = server;
        this.upstream = upstream;
        this.delayNanos = delayNanos;
        this.toUpstream = new Link(bitsPerSecond);
        this.toClient = new Link(bitsPerSecond);
    }

    /**
     * Starts a proxy on an ephemeral port of 127.0.0.1 forwarding to {@code upstream}.
     *
     * @param oneWayDelayMillis added to every byte in each direction (the round trip gets twice that)
     * @param bitsPerSecond     rate of each direction; 0 means unlimited
     */
    public static LinkProxy start(InetSocketAddress upstream, double oneWayDelayMillis, long bitsPerSecond)
            throws IOException {
        ServerSocket server = new ServerSocket(0, 128, InetAddress.getLoopbackAddress());
        LinkProxy proxy = new LinkProxy(server, upstream, (long) (oneWayDelayMillis * 1e6), bitsPerSecond);
        Threads.start("link-proxy-accept", proxy::acceptLoop);
        return proxy;
    }

    public int port() {
        return server.getLocalPort();
    }

    public Counters counters() {
        return new Counters(connections.get(), toUpstream.bytes.get(), toClient.bytes.get());
    }

    /** When bytes last crossed the link, in either direction. */
    Activity activity() {
        return activity;
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket client = server.accept();
                long acceptedAt = System.nanoTime();
                connections.incrementAndGet();
                Socket up = new Socket();
                try {
                    up.connect(upstream, 10_000);
                } catch (IOException e) {
                    client.close();
                    System.err.println("link proxy: cannot connect to " + upstream + ": " + e.getMessage());
                    continue;
                }
                for (Socket s : new Socket[] {client, up}) {
                    s.setTcpNoDelay(true);
                    sockets.add(s);
                }
                // the client's first bytes would arrive 1.5 round trips after its SYN
                AtomicInteger open = new AtomicInteger(2);
                pipe(client, up, toUpstream, acceptedAt + 3 * delayNanos, open, "up");
                pipe(up, client, toClient, 0, open, "down");
            } catch (IOException e) {
                if (!closed) {
                    System.err.println("link proxy: accept failed: " + e.getMessage());
                }
            }
        }
    }

    /**
     * Copies {@code from} to {@code to} through {@code link}; nothing is delivered before {@code notBefore}. The
     * sockets are closed once both directions ({@code open}) delivered their end of stream, or at the first error.
     */
    private void pipe(Socket from, Socket to, Link link, long notBefore, AtomicInteger open, String name) {
        if (delayNanos == 0 && link.nanosPerByte == 0) {
            Threads.start("link-proxy-relay-" + name, () -> relay(from, to, link, open));
            return;
        }
        Direction d = new Direction();
        Threads.start("link-proxy-read-" + name, () -> read(from, to, link, notBefore, d));
        Threads.start("link-proxy-write-" + name, () -> write(from, to, d, open));
    }

    /** A link without delay or rate limit: copy and count, in one thread, nothing queued. */
    private void relay(Socket from, Socket to, Link link, AtomicInteger open) {
        byte[] buf = new byte[CHUNK];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            for (int n; (n = in.read(buf)) > 0; ) {
                link.bytes.addAndGet(n);
                activity.touch();
                out.write(buf, 0, n);
            }
            to.shutdownOutput();
            if (open.decrementAndGet() == 0) {
                closeBoth(from, to);
            }
        } catch (IOException e) {
            closeBoth(from, to);
        }
    }

    private void read(Socket from, Socket to, Link link, long notBefore, Direction d) {
        byte[] buf = new byte[CHUNK];
        try {
            InputStream in = from.getInputStream();
            for (int n; (n = in.read(buf)) > 0; ) {
                activity.touch();
                long due = Math.max(link.transmit(System.nanoTime(), n) + delayNanos, notBefore);
                d.put(new Chunk(Arrays.copyOf(buf, n), due));
            }
            d.put(new Chunk(null, link.transmit(System.nanoTime(), 0) + delayNanos));
        } catch (IOException | InterruptedException e) {
            closeBoth(from, to);
            d.abort();
        }
    }

    private void write(Socket from, Socket to, Direction d, AtomicInteger open) {
        try {
            OutputStream out = to.getOutputStream();
            for (Chunk c; (c = d.take()) != null; ) {
                for (long wait; (wait = c.due - System.nanoTime()) > 0; ) {
                    LockSupport.parkNanos(wait);
                }
                if (c.data == null) {
                    to.shutdownOutput();
                    if (open.decrementAndGet() == 0) {
                        closeBoth(from, to);
                    }
                    return;
                }
                out.write(c.data);
            }
        } catch (IOException | InterruptedException e) {
            // the connection is torn down below
        }
        closeBoth(from, to);
    }

    private void closeBoth(Socket a, Socket b) {
        for (Socket s : new Socket[] {a, b}) {
            try {
                s.close();
            } catch (IOException ignored) {
                // already closed by the other direction
            }
            sockets.remove(s);
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        for (Socket s : sockets) {
            try {
                s.close();
            } catch (SocketException ignored) {
                // closing anyway
            }
        }
    }

    /** One direction of the link: a serial line that transmits one chunk after another. */
    private static final class Link {
        private final double nanosPerByte;
        private final AtomicLong bytes = new AtomicLong();
        private long freeAt;

        Link(long bitsPerSecond) {
            this.nanosPerByte = bitsPerSecond <= 0 ? 0 : 8e9 / bitsPerSecond;
        }

        /** Books {@code size} bytes arriving at {@code arrival}; returns when their transmission ends. */
        synchronized long transmit(long arrival, int size) {
            bytes.addAndGet(size);
            long start = Math.max(arrival, freeAt);
            freeAt = start + (long) (size * nanosPerByte);
            return freeAt;
        }
    }

    /** A chunk and when it reaches the other end; {@code data == null} marks the sender's end of stream. */
    private record Chunk(byte[] data, long due) {
    }

    /** The chunks of one connection direction in flight, bounded by {@link #QUEUE_LIMIT} bytes. */
    private static final class Direction {
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition changed = lock.newCondition();
        private final ArrayDeque<Chunk> chunks = new ArrayDeque<>();
        private long queued;
        private boolean aborted;

        void put(Chunk c) throws InterruptedException {
            lock.lock();
            try {
                while (queued > QUEUE_LIMIT && !aborted) {
                    changed.await();
                }
                chunks.add(c);
                queued += c.data == null ? 0 : c.data.length;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }

        /** The next chunk, or null once aborted. */
        Chunk take() throws InterruptedException {
            lock.lock();
            try {
                while (chunks.isEmpty() && !aborted) {
                    changed.await();
                }
                if (chunks.isEmpty()) {
                    return null;
                }
                Chunk c = chunks.poll();
                queued -= c.data == null ? 0 : c.data.length;
                changed.signalAll();
                return c;
            } finally {
                lock.unlock();
            }
        }

        void abort() {
            lock.lock();
            try {
                aborted = true;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }
}
