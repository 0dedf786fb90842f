package io.jstargz.remote;

import io.jstargz.estargz.ConvertOptions;
import io.jstargz.estargz.ConvertResult;
import io.jstargz.estargz.EstargzReader;
import io.jstargz.estargz.LayerConverter;
import io.jstargz.estargz.OpenOptions;
import io.jstargz.remote.auth.CredentialStore;
import io.jstargz.remote.auth.Credentials;
import io.jstargz.testing.RegistryAccessLog;
import io.jstargz.testing.RegistryServer;
import io.jstargz.testing.TokenServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Requests, bytes and wall time for the estargz reader to open each reference eStargz blob, and a generated layer of
 * 10,000 files whose TOC is larger than the reader's tail, from a real registry (docker-registry on 127.0.0.1): cold
 * (new client: connect, and for the token registry the 401 and the token) and warm (pooled connection, cached
 * token), with the size known from the descriptor or not; then batched range reads and a prefetch stream. Prints
 * markdown tables; {@code bench/registry} runs it, {@code docs/benchmarks.md} shows a run.
 */
public final class RegistryOpenBenchmark {

    private static final int WARM_ITERATIONS = 50;
    private static final String GENERATED = "generated-10k-files.esgz";

    /** A blob to open: its name, descriptor and TOC digest. */
    private record Layer(String name, Descriptor descriptor, String tocDigest, Path file) {
    }

    private record Row(String blob, String registry, String mode, long clientRequests, long serverRequests,
                       long serverBytes, double millis) {
    }

    private RegistryOpenBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path work = Files.createTempDirectory("jstargz-registry-bench-");
        List<Layer> layers = new ArrayList<>();
        for (String name : TestImages.ESTARGZ_BLOBS) {
            layers.add(new Layer(name, TestImages.layer(name), TestImages.report(name).get("tocDigest").asText(),
                    TestImages.blob(name)));
        }
        layers.add(generatedLayer(work));
        List<Row> rows = new ArrayList<>();
        try (RegistryServer plain = RegistryServer.start();
             TokenServer tokens = TokenServer.builder().user("bench", "bench-pw").start();
             RegistryServer token = RegistryServer.builder().tokenAuth(tokens).start()) {
            CredentialStore creds = new CredentialStore() {
                @Override
                public Credentials credentials(String registry, String reference) {
                    return Credentials.basic("bench", "bench-pw");
                }

                @Override
                public String describe() {
                    return "benchmark credentials";
                }
            };
            for (RegistryServer server : List.of(plain, token)) {
                String kind = server == plain ? "anonymous" : "token auth";
                ImageReference ref = ImageReference.parse(server.host() + "/bench/img:1");
                try (RegistryClient pusher = RegistryClient.create(config().build(), creds)) {
                    for (Layer layer : layers) {
                        pusher.pushBlob(ref, BlobContent.of(layer.file, layer.descriptor.digest()), null);
                    }
                }
                for (Layer layer : layers) {
                    rows.add(open(server, kind, layer, creds, true, true));
                    rows.add(open(server, kind, layer, creds, false, true));
                    rows.add(open(server, kind, layer, creds, false, false));
                }
            }
            printOpens(rows);
            ranges(plain);
        } finally {
            try (var files = Files.walk(work)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    /** 10,000 small files in 100 directories, converted by the estargz module: a TOC larger than the tail. */
    private static Layer generatedLayer(Path work) throws IOException {
        Path tar = work.resolve("generated.tar");
        Random random = new Random(3);
        try (TarArchiveOutputStream out = new TarArchiveOutputStream(Files.newOutputStream(tar))) {
            out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (int i = 0; i < 10_000; i++) {
                byte[] content = new byte[random.nextInt(2048)];
                for (int j = 0; j < content.length; j++) {
                    content[j] = (byte) ('a' + random.nextInt(8));
                }
                TarArchiveEntry e = new TarArchiveEntry(String.format("usr/share/d%03d/file-%05d.txt", i % 100, i));
                e.setSize(content.length);
                out.putArchiveEntry(e);
                out.write(content);
                out.closeArchiveEntry();
            }
        }
        Path blob = work.resolve(GENERATED);
        ConvertResult result;
        try (OutputStream out = Files.newOutputStream(blob)) {
            result = new LayerConverter(ConvertOptions.defaults()).convert(tar, out);
        }
        return new Layer(GENERATED, Descriptor.of(MediaTypes.OCI_LAYER_GZIP, Digest.parse(result.blobDigest()),
                result.size()), result.tocDigest(), blob);
    }

    private static RegistryConfig.Builder config() {
        return RegistryClientTest.config();
    }

    /** @param cold a new client for each open (no pooled connection, no token) */
    private static Row open(RegistryServer server, String kind, Layer layer, CredentialStore creds, boolean cold,
                            boolean sizeKnown) throws IOException {
        ImageReference ref = ImageReference.parse(server.host() + "/bench/img:1");
        long size = sizeKnown ? layer.descriptor.size() : -1;
        OpenOptions options = OpenOptions.defaults(layer.name).withExpectedTocDigest(layer.tocDigest);
        int iterations = cold ? 10 : WARM_ITERATIONS;
        long[] nanos = new long[iterations];
        long clientRequests = 0;
        int mark;
        try (RegistryClient shared = RegistryClient.create(config().build(), creds)) {
            if (!cold) {
                EstargzReader.open(shared.openBlob(ref, layer.descriptor.digest(), size), options);
            }
            mark = server.accessLogMark();
            for (int i = 0; i < iterations; i++) {
                RegistryClient client = cold ? RegistryClient.create(config().build(), creds) : shared;
                long before = client.metrics().total().requests();
                long start = System.nanoTime();
                try (RegistryBlobSource blob = client.openBlob(ref, layer.descriptor.digest(), size)) {
                    EstargzReader.open(blob, options);
                }
                nanos[i] = System.nanoTime() - start;
                clientRequests += client.metrics().total().requests() - before;
                if (cold) {
                    client.close();
                }
            }
        }
        server.syncAccessLog();
        List<RegistryAccessLog.Entry> seen = server.accessLog().since(mark);
        Arrays.sort(nanos);
        String mode = (cold ? "cold" : "warm") + ", size " + (sizeKnown ? "known" : "unknown");
        return new Row(layer.name + " (" + layer.descriptor.size() + " B)", kind, mode, clientRequests / iterations,
                seen.size() / iterations,
                seen.stream().mapToLong(RegistryAccessLog.Entry::bytesWritten).sum() / iterations,
                nanos[iterations / 2] / 1e6);
    }

    private static void printOpens(List<Row> rows) {
        System.out.println("| blob | registry | open | requests (client) | requests (registry log) | bytes | median ms |");
        System.out.println("|---|---|---|---:|---:|---:|---:|");
        for (Row r : rows) {
            System.out.printf(Locale.ROOT, "| %s | %s | %s | %d | %d | %d | %.2f |%n", r.blob, r.registry, r.mode,
                    r.clientRequests, r.serverRequests, r.serverBytes, r.millis);
        }
        System.out.println();
    }

    /** 32 scattered 4 KiB ranges of a 64 MiB blob: one batch versus one request each; and a 64 MiB stream. */
    private static void ranges(RegistryServer server) throws IOException {
        byte[] data = new byte[64 << 20];
        new Random(1).nextBytes(data);
        ImageReference ref = ImageReference.parse(server.host() + "/bench/big:1");
        List<ByteRange> ranges = new ArrayList<>();
        Random random = new Random(2);
        for (int i = 0; i < 32; i++) {
            ranges.add(new ByteRange((long) random.nextInt(data.length - 4096), 4096));
        }
        System.out.println("| 64 MiB blob | requests (registry log) | bytes | median ms |");
        System.out.println("|---|---:|---:|---:|");
        try (RegistryClient client = RegistryClient.create(config().build(), CredentialStore.ANONYMOUS)) {
            BlobContent content = BlobContent.of(data);
            client.pushBlob(ref, content, null);
            RegistryBlobSource blob = client.openBlob(ref, content.digest(), data.length);
            blob.read(0, 1);
            measure(server, "32 ranges of 4 KiB, readRanges", () -> check(blob.readRanges(ranges), ranges, data));
            measure(server, "32 ranges of 4 KiB, one read each", () -> {
                for (ByteRange r : ranges) {
                    check(List.of(blob.read(r.offset(), (int) r.length())), List.of(r), data);
                }
            });
            measure(server, "64 MiB prefetch, openStream", () -> {
                try (InputStream in = blob.openStream(0, data.length)) {
                    long n = in.transferTo(OutputStream.nullOutputStream());
                    if (n != data.length) {
                        throw new IOException("short prefetch: " + n);
                    }
                }
            });
        }
    }

    private interface Work {
        void run() throws IOException;
    }

    private static void measure(RegistryServer server, String what, Work work) throws IOException {
        int iterations = 5;
        long[] nanos = new long[iterations];
        int mark = server.accessLogMark();
        for (int i = 0; i < iterations; i++) {
            long start = System.nanoTime();
            work.run();
            nanos[i] = System.nanoTime() - start;
        }
        server.syncAccessLog();
        List<RegistryAccessLog.Entry> seen = server.accessLog().since(mark);
        Arrays.sort(nanos);
        System.out.printf(Locale.ROOT, "| %s | %d | %d | %.2f |%n", what, seen.size() / iterations,
                seen.stream().mapToLong(RegistryAccessLog.Entry::bytesWritten).sum() / iterations,
                nanos[iterations / 2] / 1e6);
    }

    private static void check(List<byte[]> got, List<ByteRange> ranges, byte[] data) throws IOException {
        for (int i = 0; i < ranges.size(); i++) {
            ByteRange r = ranges.get(i);
            if (!Arrays.equals(got.get(i), Arrays.copyOfRange(data, (int) r.offset(), (int) r.end()))) {
                throw new IOException("wrong bytes for " + r);
            }
        }
    }
}
