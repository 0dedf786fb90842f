package io.jstargz.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Debian's docker-registry on 127.0.0.1 with filesystem storage that outlives the run (pushed images are cached),
 * and accounting from its access log: each line names a request, its status and the bytes of its response body.
 */
final class Registry implements AutoCloseable {
    static final Path BINARY = Path.of("/usr/bin/docker-registry");
    /** {@code 127.0.0.1 - - [date] "GET /v2/... HTTP/1.1" 206 12345 "referer" "agent"} */
    private static final Pattern ACCESS = Pattern.compile(
            "^\\S+ \\S+ \\S+ \\[[^\\]]+\\] \"(\\S+) (\\S+) [^\"]*\" (\\d{3}) (\\d+|-) ");

    private final int port;
    private Service service;
    private long requests;
    private long bytes;
    private long blobRequests;
    private long blobBytes;

    /** Requests and response-body bytes served so far; blob GETs (layers, configs) separately. */
    record Counters(long requests, long bytes, long blobRequests, long blobBytes) {
        Counters minus(Counters o) {
            return new Counters(requests - o.requests, bytes - o.bytes, blobRequests - o.blobRequests,
                    blobBytes - o.blobBytes);
        }
    }

    private Registry(int port) {
        this.port = port;
    }

    static Registry start(Path storage, Path dir) throws IOException {
        if (!Files.isExecutable(BINARY)) {
            throw new IOException(BINARY + " is missing: install the docker-registry package (scripts/setup.sh)");
        }
        int port = freePort();
        Files.createDirectories(storage);
        Files.createDirectories(dir);
        Path config = dir.resolve("config.yml");
        Files.writeString(config, String.join("\n",
                "version: 0.1",
                "log:",
                "  level: info",
                "  accesslog:",
                "    disabled: false",
                "storage:",
                "  filesystem:",
                "    rootdirectory: " + storage.toAbsolutePath(),
                "  delete:",
                "    enabled: true",
                "http:",
                "  addr: 127.0.0.1:" + port,
                "  secret: jstargz-bench",
                ""));
        Registry r = new Registry(port);
        r.service = Service.start("registry", List.of(BINARY.toString(), "serve", config.toString()), Map.of(),
                dir.resolve("registry.log"), line -> line.contains("listening on"), r::count, Duration.ofSeconds(60));
        return r;
    }

    private void count(String line) {
        Matcher m = ACCESS.matcher(line);
        if (!m.find()) {
            return;
        }
        long size = m.group(4).equals("-") ? 0 : Long.parseLong(m.group(4));
        boolean blob = m.group(1).equals("GET") && m.group(2).contains("/blobs/sha256:");
        synchronized (this) {
            requests++;
            bytes += size;
            if (blob) {
                blobRequests++;
                blobBytes += size;
            }
        }
    }

    synchronized Counters counters() {
        return new Counters(requests, bytes, blobRequests, blobBytes);
    }

    int port() {
        return port;
    }

    InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    }

    String logTail() {
        return service.logTail();
    }

    @Override
    public void close() {
        if (service != null) {
            service.close();
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
