package io.jstargz.snapshotter.debug;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.jstargz.concurrent.Threads;
import io.jstargz.fs.binding.OperationStats;
import io.jstargz.snapshotter.config.ListenAddress;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The diagnostics endpoint ({@code debug_address}), the daemon's counterpart of the reference's pprof handlers:
 * plain-text pages an operator reads with curl when a node misbehaves. It uses the JDK's own HTTP server, on one
 * thread, so it answers even when the daemon's pools are stuck; the configuration only allows loopback addresses,
 * since a thread dump shows paths and image names.
 *
 * <ul>
 *   <li>{@code /debug/threads}: every thread with its state, lock and full stack;</li>
 *   <li>{@code /debug/heap}: heap and non-heap use, each memory pool, the collectors;</li>
 *   <li>{@code /debug/fuse}: the FUSE requests each mounted layer is serving now, longest first, with where their
 *       threads are.</li>
 * </ul>
 */
public final class DebugServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DebugServer.class);
    private static final String INDEX = """
            jstargz diagnostics
              /debug/threads  thread dump
              /debug/heap     heap summary
              /debug/fuse     FUSE operations in flight
            """;

    private final HttpServer server;
    private final ExecutorService executor;

    private DebugServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /**
     * Serves on {@code address} ({@code debug_address}).
     *
     * @param inFlight the FUSE requests being served, by layer
     */
    public static DebugServer start(String address, Supplier<Map<String, List<OperationStats.InFlight>>> inFlight)
            throws IOException {
        InetSocketAddress at = ListenAddress.parse("debug_address", address).socketAddress();
        HttpServer server = HttpServer.create(at, 0);
        ExecutorService executor = Executors.newSingleThreadExecutor(Threads.named("jstargz-debug"));
        server.setExecutor(executor);
        page(server, "/debug/threads", ThreadDump::render);
        page(server, "/debug/heap", HeapSummary::render);
        page(server, "/debug/fuse", () -> FuseInFlight.render(inFlight.get()));
        page(server, "/", () -> INDEX);
        server.start();
        LOG.info("diagnostics on http://{}:{}/debug/", at.getHostString(), server.getAddress().getPort());
        return new DebugServer(server, executor);
    }

    private static void page(HttpServer server, String path, Supplier<String> body) {
        server.createContext(path, exchange -> {
            try (exchange) {
                boolean exact = exchange.getRequestURI().getPath().equals(path);
                reply(exchange, exact ? 200 : 404, exact ? body.get() : "not found; see /\n");
            } catch (RuntimeException e) {
                LOG.warn("diagnostics: {} failed: {}", path, e.toString());
            }
        });
    }

    private static void reply(HttpExchange exchange, int status, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** The port the endpoint listens on. */
    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
