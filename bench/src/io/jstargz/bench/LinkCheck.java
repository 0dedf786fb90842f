package io.jstargz.bench;

import io.jstargz.concurrent.Threads;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code bench/run --check-link}: measures round trips and throughput straight over loopback and through a
 * {@link LinkProxy}, against a small in-process server, and prints what each should be next to what it is.
 */
public final class LinkCheck implements AutoCloseable {
    private static final byte PING = 'P';
    private static final byte DOWNLOAD = 'D';
    private static final byte UPLOAD = 'U';

    private final ServerSocket server;
    private final ExecutorService pool = Executors.newCachedThreadPool(Threads.named("link-check"));

    private LinkCheck() throws IOException {
        server = new ServerSocket(0, 64, InetAddress.getLoopbackAddress());
        pool.submit(this::serve);
    }

    /** Runs the checks for a link of {@code delayMillis} each way and {@code bitsPerSecond}; returns a table. */
    public static String run(double delayMillis, long bitsPerSecond) throws Exception {
        try (LinkCheck check = new LinkCheck();
             LinkProxy proxy = LinkProxy.start(check.address(), delayMillis, bitsPerSecond)) {
            InetSocketAddress direct = check.address();
            InetSocketAddress shaped = new InetSocketAddress(InetAddress.getLoopbackAddress(), proxy.port());
            double rtt = 2 * delayMillis;
            double mbit = bitsPerSecond / 1e6;
            StringBuilder t = new StringBuilder();
            t.append(String.format("Link: %.1f ms each way (RTT %.1f ms), %.0f Mbit/s per direction.%n%n", delayMillis,
                    rtt, mbit));
            t.append("| measurement | expected through the link | direct loopback | through the link |\n");
            t.append("|---|---:|---:|---:|\n");
            row(t, "new connection + 1-byte round trip, ms (median of 20)", 2 * rtt,
                    check.connectAndPing(direct), check.connectAndPing(shaped));
            row(t, "1-byte round trip on an open connection, ms (median of 50)", rtt,
                    check.ping(direct), check.ping(shaped));
            long big = 48L << 20;
            row(t, "download 48 MiB, 1 stream, Mbit/s", mbit, check.download(direct, 1, big),
                    check.download(shaped, 1, big));
            row(t, "download 48 MiB, 4 streams together, Mbit/s", mbit, check.download(direct, 4, big),
                    check.download(shaped, 4, big));
            row(t, "upload 16 MiB, 1 stream, Mbit/s", mbit, check.upload(direct, 16L << 20),
                    check.upload(shaped, 16L << 20));
            double[] both = check.duplex(shaped, 24L << 20);
            t.append(String.format("| download and upload 24 MiB at once, Mbit/s (down / up) | %.0f / %.0f | | "
                    + "%.0f / %.0f |%n", mbit, mbit, both[0], both[1]));
            LinkProxy.Counters c = proxy.counters();
            t.append(String.format("%nThe proxy counted %d connections, %.1f MiB to the server, %.1f MiB back.%n",
                    c.connections(), c.bytesToUpstream() / 1048576.0, c.bytesToClient() / 1048576.0));
            return t.toString();
        }
    }

    private static void row(StringBuilder t, String what, double expected, double direct, double shaped) {
        t.append(String.format("| %s | %.1f | %.2f | %.2f |%n", what, expected, direct, shaped));
    }

    private InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort());
    }

    private double connectAndPing(InetSocketAddress to) throws IOException {
        double[] ms = new double[20];
        for (int i = 0; i < ms.length; i++) {
            long t0 = System.nanoTime();
            try (Socket s = open(to)) {
                pingOnce(s);
                ms[i] = (System.nanoTime() - t0) / 1e6;
            }
        }
        return median(ms);
    }

    private double ping(InetSocketAddress to) throws IOException {
        try (Socket s = open(to)) {
            pingOnce(s);
            double[] ms = new double[50];
            for (int i = 0; i < ms.length; i++) {
                long t0 = System.nanoTime();
                pingOnce(s);
                ms[i] = (System.nanoTime() - t0) / 1e6;
            }
            return median(ms);
        }
    }

    private static void pingOnce(Socket s) throws IOException {
        s.getOutputStream().write(PING);
        if (s.getInputStream().read() != PING) {
            throw new IOException("ping: no echo");
        }
    }

    /** Total Mbit/s of {@code streams} connections downloading {@code total} bytes between them. */
    private double download(InetSocketAddress to, int streams, long total) throws Exception {
        long each = total / streams;
        long t0 = System.nanoTime();
        List<Future<Long>> parts = new ArrayList<>();
        for (int i = 0; i < streams; i++) {
            parts.add(pool.submit(() -> downloadOne(to, each)));
        }
        long bytes = 0;
        for (Future<Long> f : parts) {
            bytes += f.get();
        }
        return bytes * 8 / ((System.nanoTime() - t0) / 1e9) / 1e6;
    }

    private static long downloadOne(InetSocketAddress to, long n) throws IOException {
        try (Socket s = open(to)) {
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            out.writeByte(DOWNLOAD);
            out.writeLong(n);
            out.flush();
            return drain(s.getInputStream(), n);
        }
    }

    private double upload(InetSocketAddress to, long n) throws IOException {
        long t0 = System.nanoTime();
        uploadOne(to, n);
        return n * 8 / ((System.nanoTime() - t0) / 1e9) / 1e6;
    }

    private static void uploadOne(InetSocketAddress to, long n) throws IOException {
        try (Socket s = open(to)) {
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            out.writeByte(UPLOAD);
            out.writeLong(n);
            fill(out, n);
            out.flush();
            if (s.getInputStream().read() != UPLOAD) {
                throw new IOException("upload: not acknowledged");
            }
        }
    }

    /** Mbit/s of a download and an upload running at the same time: {down, up}. */
    private double[] duplex(InetSocketAddress to, long n) throws Exception {
        Future<Double> down = pool.submit(() -> download(to, 1, n));
        Future<Double> up = pool.submit(() -> upload(to, n));
        return new double[] {down.get(), up.get()};
    }

    private void serve() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                s.setTcpNoDelay(true);
                pool.submit(() -> handle(s));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private Void handle(Socket s) throws IOException {
        try (s) {
            DataInputStream in = new DataInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            for (int op; (op = in.read()) >= 0; ) {
                switch (op) {
                    case PING -> out.write(PING);
                    case DOWNLOAD -> {
                        fill(out, in.readLong());
                        out.flush();
                    }
                    case UPLOAD -> {
                        drain(in, in.readLong());
                        out.write(UPLOAD);
                    }
                    default -> throw new IOException("link check: unknown request " + op);
                }
            }
        }
        return null;
    }

    private static void fill(OutputStream out, long n) throws IOException {
        byte[] buf = new byte[64 * 1024];
        Arrays.fill(buf, (byte) 'x');
        for (long left = n; left > 0; left -= buf.length) {
            out.write(buf, 0, (int) Math.min(buf.length, left));
        }
    }

    private static long drain(InputStream in, long n) throws IOException {
        byte[] buf = new byte[64 * 1024];
        long got = 0;
        while (got < n) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, n - got));
            if (r < 0) {
                throw new IOException("stream ended after " + got + " of " + n + " bytes");
            }
            got += r;
        }
        return got;
    }

    private static Socket open(InetSocketAddress to) throws IOException {
        Socket s = new Socket();
        s.setTcpNoDelay(true);
        s.connect(to, 10_000);
        return s;
    }

    static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    @Override
    public void close() throws IOException {
        server.close();
        pool.shutdownNow();
    }
}
