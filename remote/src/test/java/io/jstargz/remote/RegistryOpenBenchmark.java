package io.jstargz.remote;

import io.jstargz.remote.auth.CredentialStore;
import io.jstargz.remote.auth.Credentials;
import io.jstargz.testing.RegistryAccessLog;
import io.jstargz.testing.RegistryServer;
import io.jstargz.testing.TokenServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Requests, bytes and wall time to open each reference eStargz blob from a real registry (docker-registry on
 * 127.0.0.1), cold (new client: connect, and for the token registry the 401 and the token) and warm (pooled
 * connection, cached token), with the size known from the descriptor or not; then batched range reads and a prefetch
 * stream. Prints markdown tables; {@code bench/registry} runs it, {@code docs/benchmarks.md} shows a run.
 */
public final class RegistryOpenBenchmark {

    private static final int WARM_ITERATIONS = 50;
    private static final int TAIL = 512 << 10;

    private record Row(String blob, String registry, String mode, long clientRequests, long serverRequests,
                       long serverBytes, double millis) {
    }

    private RegistryOpenBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        List<Row> rows = new ArrayList<>();
        try (RegistryServer plain = RegistryServer.start();
             TokenServer tokens = TokenServer.builder().user("bench", "bench-pw").start();
             RegistryServer token = RegistryServer.builder().tokenAuth(tokens).start()) {
            CredentialStore creds = new CredentialStore() {
                @Override
                public Credentials credentials(String registry) {
                    return Credentials.basic("bench", "bench-pw");
                }

                @Override
                public String describe() {
                    return "benchmark credentials";
                }
            };
            for (RegistryServer server : List.of(plain, token)) {
                String kind = server == plain ? "anonymous" : "token auth";
                try (RegistryClient pusher = RegistryClient.create(config().build(), creds)) {
                    TestImages.push(pusher, ImageReference.parse(server.host() + "/bench/img:1"),
                            TestImages.ESTARGZ_BLOBS, Platform.parse("linux/amd64"));
                }
                for (String name : TestImages.ESTARGZ_BLOBS) {
                    rows.add(open(server, kind, name, creds, true, -1));
                    rows.add(open(server, kind, name, creds, false, 1));
                    rows.add(open(server, kind, name, creds, false, 0));
                }
            }
            printOpens(rows);
            ranges(plain);
        }
    }

    private static RegistryConfig.Builder config() {
        return RegistryClientTest.config();
    }

    /**
     * @param cold     a new client for each open (no pooled connection, no token)
     * @param sizeMode 1 size known from the descriptor, 0 unknown, -1 both cold runs use the descriptor size
     */
    private static Row open(RegistryServer server, String kind, String name, CredentialStore creds, boolean cold,
                            int sizeMode) throws IOException {
        ImageReference ref = ImageReference.parse(server.host() + "/bench/img:1");
        Descriptor layer = TestImages.layer(name);
        int footer = name.endsWith(".stargz") ? 47 : 51;
        long size = sizeMode == 0 ? -1 : layer.size();
        int iterations = cold ? 10 : WARM_ITERATIONS;
        long[] nanos = new long[iterations];
        long clientRequests = 0;
        int mark;
        try (RegistryClient shared = RegistryClient.create(config().build(), creds)) {
            if (!cold) {
                TestImages.readTocLikeTheReader(shared.openBlob(ref, layer.digest(), size), TAIL, footer);
            }
            mark = server.accessLogMark();
            for (int i = 0; i < iterations; i++) {
                RegistryClient client = cold ? RegistryClient.create(config().build(), creds) : shared;
                long before = client.metrics().total().requests();
                long start = System.nanoTime();
                try (RegistryBlobSource blob = client.openBlob(ref, layer.digest(), size)) {
                    TestImages.readTocLikeTheReader(blob, TAIL, footer);
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
        String mode = (cold ? "cold" : "warm") + ", size " + (size < 0 ? "unknown" : "known");
        return new Row(name, kind, mode, clientRequests / iterations, seen.size() / iterations,
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
