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
 * registry that goes away; {@link #up()} brings it back. {@link #stall()} holds every byte sent either way, as a
 * registry that stops answering, until {@link #resume()}.
 */
public final class TcpProxy implements Closeable {
    private final ServerSocket server;
    private final int targetPort;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile boolean down;
    private final Object gate = new Object();
    private boolean stalled;
    private CountDownLatch held = new CountDownLatch(1);

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

    public void up() {
        down = false;
    }

    /** Holds every byte from now on, on open connections and new ones. */
    public void stall() {
        synchronized (gate) {
            stalled = true;
            held = new CountDownLatch(1);
        }
    }

    /** Waits until bytes are held since {@link #stall()}: something sent a request that gets no answer. */
    public void awaitHeld(Duration deadline) throws InterruptedException {
        CountDownLatch h;
        synchronized (gate) {
            h = held;
        }
        if (!h.await(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("nothing was sent through the stalled proxy within " + deadline);
        }
    }

    /** Forwards what was held and everything after it. */
    public void resume() {
        synchronized (gate) {
            stalled = false;
            gate.notifyAll();
        }
    }

    private void waitWhileStalled() throws InterruptedIOException {
        synchronized (gate) {
            while (stalled) {
                held.countDown();
                try {
                    gate.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while stalled");
                }
            }
        }
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
                pump(client, upstream);
                pump(upstream, client);
            } catch (IOException e) {
                closeQuietly(client);
            }
        }
    }

    private void pump(Socket from, Socket to) {
        Threads.start("tcp-proxy-pump", () -> {
            byte[] buf = new byte[65536];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                for (int n; (n = in.read(buf)) > 0; ) {
                    waitWhileStalled();
                    out.write(buf, 0, n);
                }
            } catch (IOException e) {
                // a side closed: the connection is over
            } finally {
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
        resume();
        down();
        server.close();
    }
}
