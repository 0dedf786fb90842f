package io.jstargz.snapshotter.lazy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.jstargz.cache.ChunkCache;
import io.jstargz.cache.ChunkCacheConfig;
import io.jstargz.estargz.ConvertOptions;
import io.jstargz.estargz.EstargzException;
import io.jstargz.estargz.EstargzReader;
import io.jstargz.estargz.LayerIndex;
import io.jstargz.estargz.OpenOptions;
import io.jstargz.estargz.LayerConverter;
import io.jstargz.fs.LayerIdentity;
import io.jstargz.fs.LayerMount;
import io.jstargz.fs.LayerMountOptions;
import io.jstargz.remote.Digest;
import io.jstargz.remote.ImageReference;
import io.jstargz.remote.RegistryClient;
import io.jstargz.remote.RegistryConfig;
import io.jstargz.fs.binding.linux.FileTrees;
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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A tiny eStargz layer served over HTTP from this process, the way a registry serves blobs (range and suffix-range
 * GETs), for the daemon to open, mount and read once at start: the first real pull then runs compiled code on loaded
 * classes instead of paying for both (hundreds of milliseconds on a cold JVM).
 */
final class Warmup implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Warmup.class);
    private static final int ROUNDS = 4;
    private static final int MANY = 3000;
    /** Parses of the warm-up TOC after the rounds: about as many as it takes C2 to compile the parser and indexer. */
    private static final int MAX_PARSES = 40;
    private static final Duration PARSE_BUDGET = Duration.ofMillis(1500);
    private static final String REPOSITORY = "jstargz-warmup/layer";
    private static final List<String> FILES = List.of("bin/app", "etc/config", "lib/a", "lib/b");
    private static final Pattern RANGE = Pattern.compile("(\\d*)-(\\d*)");

    private final byte[] blob;
    private final String digest;
    private final String tocDigest;
    private final HttpServer server;

    private Warmup(byte[] blob, String digest, String tocDigest, HttpServer server) {
        this.blob = blob;
        this.digest = digest;
        this.tocDigest = tocDigest;
        this.server = server;
    }

    /**
     * Opens, mounts and reads the layer {@link #ROUNDS} times: first as a pull does (the tail read caches the small
     * layer, the prefetch finds it cached), then fetching every read on demand, each round with a fresh cache.
     *
     * @param registry how the daemon's registry client is configured
     * @param dir      a directory of its own: the layer is kept there between starts, and a scratch directory for
     *                 the mount point and the caches is made and removed there
     */
    static void run(RegistryConfig registry, LayerMountOptions base, Duration timeout, Path dir) {
        long start = System.nanoTime();
        Path scratch = dir.resolve("scratch");
        // a client, opener and caches of its own: the daemon's counters and caches see none of this
        try (Warmup w = start(Files.createDirectories(dir).resolve("layer.esgz"));
             RegistryClient client = RegistryClient.create(registry);
             LayerOpener opener = new LayerOpener(client, new LayerTails(scratch.resolve("layers")))) {
            ImageReference image = ImageReference.parse(w.imageRef());
            Digest digest = Digest.parse(w.digest);
            for (int round = 0; round < ROUNDS; round++) {
                boolean onDemand = round > 0;
                LayerMountOptions options = base.toBuilder().prefetch(!onDemand).backgroundFetch(!onDemand)
                        .expectedTocDigest(w.tocDigest).debug(false).build();
                LayerOpener.Opened opened = opener.open(image, digest).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                Path mp = Files.createDirectories(scratch.resolve("mnt"));
                try (ChunkCache cache = ChunkCache.open(new ChunkCacheConfig(scratch.resolve("cache" + round),
                        1 << 20, 16 << 20, 1));
                     LayerMount mount = LayerMount.open(new LayerIdentity(image.toString(), digest.toString()),
                             opened.index(), opened.takeSource(client, image, digest), cache, options)) {
                    LayerTail fetched = opened.takeFetched();
                    if (fetched != null && !onDemand) {
                        mount.adopt(fetched.offset(), fetched.bytes());
                    }
                    mount.mount(mp);
                    mount.prefetchDone().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                    for (String f : FILES) {
                        Files.readAllBytes(mp.resolve(f));
                    }
                    try (Stream<Path> entries = Files.list(mp.resolve("bin"))) {
                        entries.forEach(p -> p.toFile().lastModified());
                    }
                    mount.check();
                }
                opener.forget(image, digest);
            }
            // The first Prepare of a pull waits for its layer's TOC to be parsed and indexed. A few parses get that code
            // compiled by C1 only; a 6,650-entry TOC then still took 200 ms to open on a 2-core node, 60 ms once C2
            // had compiled it.
            long parseDeadline = System.nanoTime() + PARSE_BUDGET.toNanos();
            for (int i = 0; i < MAX_PARSES && System.nanoTime() < parseDeadline; i++) {
                indexOf(w.blob);
            }
            // the heap the warm-up grew is garbage now: give it back before serving
            System.gc();
            LOG.info("warmed up in {} ms", (System.nanoTime() - start) / 1_000_000);
        } catch (IOException | ExecutionException | TimeoutException | RuntimeException e) {
            LOG.warn("warming up failed (the first pull may be slower): {}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            try {
                FileTrees.removeTree(scratch);
            } catch (IOException e) {
                LOG.warn("cannot remove {}: {}", scratch, e.getMessage());
            }
        }
    }

    /** Serves the layer kept in {@code file} (made first if missing or damaged) on 127.0.0.1. */
    private static Warmup start(Path file) throws IOException {
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
        Warmup w = new Warmup(blob, Digest.sha256(blob).toString(), index.tocDigest(), server);
        server.createContext("/v2/", w::serve);
        server.start();
        return w;
    }

    private static LayerIndex indexOf(byte[] blob) throws IOException {
        try {
            return EstargzReader.open(new LayerTail(blob.length, 0, blob).source("warm-up"),
                    OpenOptions.defaults("warm-up"));
        } catch (EstargzException e) {
            return null;
        }
    }

    /** An image reference for the layer's repository on the local server. */
    private String imageRef() {
        return server.getAddress().getAddress().getHostAddress() + ":" + server.getAddress().getPort() + "/"
                + REPOSITORY + ":1";
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
