package io.jstargz.snapshotter.fs;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.jstargz.estargz.BlobTail;
import io.jstargz.estargz.ConvertOptions;
import io.jstargz.estargz.EstargzException;
import io.jstargz.estargz.EstargzReader;
import io.jstargz.estargz.LayerConverter;
import io.jstargz.estargz.LayerIndex;
import io.jstargz.estargz.OpenOptions;
import io.jstargz.process.Command;
import io.jstargz.remote.Digest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * A tiny eStargz layer served over HTTP from this process, the way a registry serves blobs (range and suffix-range
 * GETs): what the daemon's warm-up ({@link Warmup}) and its AOT training run pull, so both exercise the code of a
 * real pull without a registry. The layer is made once and kept in a file.
 */
public final class WarmupLayer implements AutoCloseable {
    /** Files of the layer a warm-up reads: a big one (chunk decoding and digests get compiled) and small ones. */
    public static final List<String> FILES = List.of("bin/app", "etc/config", "lib/a", "lib/b");
    private static final int MANY = 3000;
    private static final String REPOSITORY = "jstargz-warmup/layer";
    private static final Pattern RANGE = Pattern.compile("(\\d*)-(\\d*)");

    private final byte[] blob;
    private final String digest;
    private final String tocDigest;
    private final HttpServer server;

    private WarmupLayer(byte[] blob, String digest, String tocDigest, HttpServer server) {
        this.blob = blob;
        this.digest = digest;
        this.tocDigest = tocDigest;
        this.server = server;
    }

    /** Serves the layer kept in {@code dir} (made first if missing or damaged) on 127.0.0.1. */
    public static WarmupLayer serve(Path dir) throws IOException {
        Path file = Files.createDirectories(dir).resolve("layer.esgz");
        byte[] blob = Files.exists(file) ? Files.readAllBytes(file) : null;
        LayerIndex index = blob == null ? null : indexOf(blob);
        if (index == null) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            new LayerConverter(ConvertOptions.defaults().withChunkSize(16 << 10).withCompressionLevel(1)
                    .withParallelism(1).withPrioritizedFiles(List.of("bin/app")))
                    .convert(new ByteArrayInputStream(tar()), out);
            blob = out.toByteArray();
            index = indexOf(blob);
            Path tmp = Files.createTempFile(file.getParent(), ".warmup-", ".tmp");
            Files.write(tmp, blob);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        WarmupLayer w = new WarmupLayer(blob, Digest.sha256(blob).toString(), index.tocDigest(), server);
        server.createContext("/v2/", w::serve);
        server.start();
        return w;
    }

    /** An image reference for the layer's repository on the local server. */
    public String imageRef() {
        return server.getAddress().getAddress().getHostAddress() + ":" + server.getAddress().getPort() + "/"
                + REPOSITORY + ":1";
    }

    /**
     * Reads {@link #FILES} of the layer mounted at {@code mountPoint} and lists a directory, from a child process as a
     * container does. Never from this process: a thread blocked in a request to a mount its own process serves cannot
     * be killed, and a kill -9 at that moment leaves a zombie that holds the daemon's root (issue 18).
     *
     * @throws IOException if a read failed or did not end within {@code deadline}
     */
    public static void readFrom(Path mountPoint, Duration deadline) throws IOException {
        List<String> args = new ArrayList<>(List.of("sh", "-c", "cat -- \"$@\" >/dev/null && ls -l \"$0\" >/dev/null",
                mountPoint.resolve("bin").toString()));
        FILES.forEach(f -> args.add(mountPoint.resolve(f).toString()));
        Command.of(args).run(deadline).orThrow();
    }

    /** The layer blob's digest. */
    public String digest() {
        return digest;
    }

    /** The digest of the layer's TOC, as an image manifest's annotation gives it. */
    public String tocDigest() {
        return tocDigest;
    }

    /** Parses and indexes the layer's TOC from its bytes in memory, as opening a layer does. */
    void parse() throws IOException {
        indexOf(blob);
    }

    private static LayerIndex indexOf(byte[] blob) throws IOException {
        try {
            return EstargzReader.open(new BlobTail(blob.length, 0, blob).source("warm-up"),
                    OpenOptions.defaults("warm-up"));
        } catch (EstargzException e) {
            return null;
        }
    }

    /** Answers blob GETs as a registry does: whole, one range, or several ({@code multipart/byteranges}). */
    private void serve(HttpExchange ex) throws IOException {
        try (ex) {
            if (!ex.getRequestURI().getPath().endsWith("/blobs/" + digest)) {
                ex.sendResponseHeaders(404, -1);
                return;
            }
            String spec = ex.getRequestHeaders().getFirst("Range");
            List<long[]> ranges = spec == null || !spec.startsWith("bytes=") ? List.of() : ranges(spec.substring(6));
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            int status = 206;
            if (ranges.isEmpty()) {
                status = 200;
                body.write(blob);
            } else if (ranges.size() == 1) {
                long[] r = ranges.get(0);
                ex.getResponseHeaders().add("Content-Range", "bytes " + r[0] + "-" + r[1] + "/" + blob.length);
                body.write(blob, (int) r[0], (int) (r[1] - r[0] + 1));
            } else {
                String boundary = "jstargz-warmup-boundary";
                ex.getResponseHeaders().add("Content-Type", "multipart/byteranges; boundary=" + boundary);
                for (long[] r : ranges) {
                    body.write(("--" + boundary + "\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes "
                            + r[0] + "-" + r[1] + "/" + blob.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    body.write(blob, (int) r[0], (int) (r[1] - r[0] + 1));
                    body.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                }
                body.write(("--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
            }
            if (ranges.size() <= 1) {
                ex.getResponseHeaders().add("Content-Type", "application/octet-stream");
            }
            boolean head = ex.getRequestMethod().equals("HEAD");
            ex.sendResponseHeaders(status, head ? -1 : body.size());
            if (!head) {
                try (OutputStream out = ex.getResponseBody()) {
                    body.writeTo(out);
                }
            }
        }
    }

    /** The ranges of a {@code Range: bytes=} value, as {@code [first, last]} within the blob. */
    private List<long[]> ranges(String spec) {
        List<long[]> out = new ArrayList<>();
        for (String part : spec.split(",")) {
            Matcher m = RANGE.matcher(part.trim());
            if (!m.matches()) {
                return List.of();
            }
            long last = blob.length - 1;
            if (m.group(1).isEmpty()) {
                out.add(new long[] {Math.max(0, blob.length - Long.parseLong(m.group(2))), last});
            } else {
                long first = Long.parseLong(m.group(1));
                out.add(new long[] {first, m.group(2).isEmpty() ? last : Math.min(last, Long.parseLong(m.group(2)))});
            }
        }
        return out;
    }

    private static byte[] tar() throws IOException {
        Random random = new Random(1);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
            for (String dir : List.of("bin/", "etc/", "lib/")) {
                TarArchiveEntry e = new TarArchiveEntry(dir);
                e.setMode(040755);
                tar.putArchiveEntry(e);
                tar.closeArchiveEntry();
            }
            for (String file : FILES) {
                // a file of a few MiB has the chunk decoder and digest code compiled (those intrinsics are C2's)
                byte[] data = new byte[file.equals("bin/app") ? 2 << 20 : 4 << 10];
                random.nextBytes(data);
                TarArchiveEntry e = new TarArchiveEntry(file);
                e.setMode(0100755);
                e.setSize(data.length);
                tar.putArchiveEntry(e);
                tar.write(data);
                tar.closeArchiveEntry();
            }
            // the many entries of a real layer: parsing and indexing a TOC gets compiled too
            for (int i = 0; i < MANY; i++) {
                byte[] data = ("file " + i + "\n").getBytes(StandardCharsets.UTF_8);
                TarArchiveEntry e = new TarArchiveEntry(String.format("share/d%02d/f%04d", i % 50, i));
                e.setMode(0100644);
                e.setSize(data.length);
                tar.putArchiveEntry(e);
                tar.write(data);
                tar.closeArchiveEntry();
            }
            TarArchiveEntry link = new TarArchiveEntry("bin/sh", TarArchiveEntry.LF_SYMLINK);
            link.setLinkName("app");
            tar.putArchiveEntry(link);
            tar.closeArchiveEntry();
        }
        return out.toByteArray();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
