package io.jstargz.testing;

import io.jstargz.concurrent.Threads;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A fault injector in front of a real server: forwards TCP connections from 127.0.0.1 to {@code target} until
 * {@link #down()}, which drops every open connection and refuses new ones (accepts and closes them at once), as a
 * registry that goes away, or {@link #stall}, which keeps connections open but stops forwarding the server's answers,
 * as a registry that hangs; {@link #up()} brings it back.
 */
public final class TcpProxy implements Closeable {
    private final ServerSocket server;
    private final int targetPort;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile boolean down;
    /** While stalled: how many more bytes of the server's answers each connection forwards before it holds them. */
    private final Set<Allowance> allowances = ConcurrentHashMap.newKeySet();
    private long stallAfter = -1;
    /** Counted down when a stall first holds an answer back (see {@link #awaitHeld}). */
    private CountDownLatch held = new CountDownLatch(1);

    /** What one connection may still forward from the server while the proxy is stalled. */
    private final class Allowance {
        private long left;
        /** Stalled on its own ({@link #stallOpenConnections}), whatever new connections do. */
        private boolean stalled;

        /** How many of {@code n} bytes may be forwarded now (at least 1), blocking while a stall holds them all. */
        int grant(int n) throws IOException {
            synchronized (TcpProxy.this) {
                while ((stallAfter >= 0 || stalled) && left <= 0 && !server.isClosed()) {
                    held.countDown();
                    try {
                        TcpProxy.this.wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new InterruptedIOException("stalled");
                    }
                }
                int granted = stallAfter >= 0 || stalled ? (int) Math.min(n, left) : n;
                left -= granted;
                return granted;
            }
        }
    }

    public TcpProxy(int targetPort) throws IOException {
        this.targetPort = targetPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Threads.start("tcp-proxy-accept", this::accept);
    }

    /** {@code 127.0.0.1:<port>}: the registry part of image references through the proxy. */
    public String host() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    public void down() {
        down = true;
        for (Socket s : open) {
            closeQuietly(s);
        }
    }

    /**
     * Stalls the server's answers: each open or new connection forwards {@code afterBytes} more bytes from the
     * server (0: nothing, a stall before the headers; more: a stall mid-body), then holds the rest until
     * {@link #up()}. Requests still reach the server.
     */
    public synchronized void stall(long afterBytes) {
        stallAfter = afterBytes;
        held = new CountDownLatch(1);
        for (Allowance a : allowances) {
            a.left = afterBytes;
        }
    }

    /**
     * Stalls only the connections open now, as {@link #stall} does; new connections forward everything: a registry
     * whose connection hangs while a fresh one would be answered.
     */
    public synchronized void stallOpenConnections(long afterBytes) {
        held = new CountDownLatch(1);
        for (Allowance a : allowances) {
            a.stalled = true;
            a.left = afterBytes;
        }
    }

    /** Waits until the stall holds back some answer: a request was sent that gets no (more) answer. */
    public void awaitHeld(Duration deadline) throws InterruptedException {
        CountDownLatch h;
        synchronized (this) {
            h = held;
        }
        if (!h.await(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("nothing was held by the stalled proxy within " + deadline);
        }
    }

    public synchronized void up() {
        down = false;
        stallAfter = -1;
        allowances.forEach(a -> a.stalled = false);
        notifyAll();
    }

    private void accept() {
        while (!server.isClosed()) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return;
            }
            if (down) {
                closeQuietly(client);
                continue;
            }
            try {
                Socket upstream = new Socket();
                upstream.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort));
                open.add(client);
                open.add(upstream);
                pump(client, upstream, null);
                Allowance allowance = new Allowance();
                synchronized (this) {
                    allowance.left = stallAfter;
                    allowances.add(allowance);
                }
                pump(upstream, client, allowance);
            } catch (IOException e) {
                closeQuietly(client);
            }
        }
    }

    /** Forwards {@code from} to {@code to}; {@code allowance} (null: none) holds back what a stall holds. */
    private void pump(Socket from, Socket to, Allowance allowance) {
        Threads.start("tcp-proxy-pump", () -> {
            byte[] buf = new byte[65536];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                for (int n; (n = in.read(buf)) > 0; ) {
                    for (int off = 0; off < n; ) {
                        int granted = allowance == null ? n - off : allowance.grant(n - off);
                        out.write(buf, off, granted);
                        out.flush();
                        off += granted;
                    }
                }
            } catch (IOException e) {
                // a side closed: the connection is over
            } finally {
                if (allowance != null) {
                    allowances.remove(allowance);
                }
                closeQuietly(from);
                closeQuietly(to);
            }
        });
    }

    private void closeQuietly(Socket s) {
        open.remove(s);
        try {
            s.close();
        } catch (IOException e) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        down();
        server.close();
        synchronized (this) {
            notifyAll();
        }
    }
}
