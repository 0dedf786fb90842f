package io.jstargz.cache;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

/**
 * Random-chunk read throughput through the {@link ChunkCache}: cold (every read misses and the loader reads the chunk
 * from a local "blob" file, standing in for a fetch), warm disk (after a restart: every read comes from the disk
 * tier), warm memory (a hot set that fits in memory) and mixed (uniform over all chunks, more than memory holds).
 * Each read copies the chunk into a direct buffer, as the FUSE read path does. Prints a markdown table.
 * Run by {@code bench/cache}; see {@code docs/benchmarks.md}.
 */
public final class ChunkCacheBenchmark {

    private record Options(Path dir, long totalBytes, long memoryBytes, long diskBytes, int minBytes, int maxBytes,
                           int[] threads, int scanEntries, long seed) {
    }

    private record Chunk(CacheKey key, long offset, int size) {
    }

    private record Phase(String name, int threads, int ops, long bytes, long nanos, long[] latencies,
                         CacheStats before, CacheStats after) {
        Phase plus(long moreNanos) {
            return new Phase(name, threads, ops, bytes, nanos + moreNanos, latencies, before, after);
        }
    }

    private final Options options;
    private final List<Chunk> chunks;
    private final Path blob;
    private final Path cacheDir;

    private ChunkCacheBenchmark(Options options) throws IOException {
        this.options = options;
        this.blob = options.dir().resolve("blob.bin");
        this.cacheDir = options.dir().resolve("cache");
        this.chunks = layOut(options);
        writeBlob();
    }

    public static void main(String[] args) throws Exception {
        Options options = parse(args);
        ChunkCacheBenchmark bench = new ChunkCacheBenchmark(options);
        System.out.printf(Locale.ROOT, "%d chunks of %d KiB..%d KiB, %d MiB in all; memory tier %d MiB, disk tier "
                        + "%d MiB; %s %s%n%n", bench.chunks.size(), options.minBytes() >> 10,
                options.maxBytes() >> 10, options.totalBytes() >> 20, options.memoryBytes() >> 20,
                options.diskBytes() >> 20, System.getProperty("java.vm.name"), Runtime.version());
        List<Phase> phases = new ArrayList<>();
        for (int threads : options.threads()) {
            bench.runAll(threads, phases);
        }
        printTable(phases);
        if (options.scanEntries() > 0) {
            System.out.println(bench.scanBenchmark(options.scanEntries()));
        }
        deleteRecursively(options.dir());
    }

    private void runAll(int threads, List<Phase> phases) throws Exception {
        deleteRecursively(cacheDir);
        ChunkCacheConfig config = new ChunkCacheConfig(cacheDir, options.memoryBytes(), options.diskBytes(), 2);
        try (ChunkCache cache = ChunkCache.open(config)) {
            cache.awaitIndexed();
            Phase cold = run("cold (miss, load, fill)", cache, threads, shuffled(chunks, options.seed()), true);
            long drain = System.nanoTime();
            cache.close(); // the cold phase ends when the last chunk is on disk
            phases.add(cold.plus(System.nanoTime() - drain));
        }
        try (ChunkCache cache = ChunkCache.open(config)) {
            cache.awaitIndexed();
            phases.add(run("warm disk (after restart)", cache, threads, shuffled(chunks, options.seed() + 1), false));
        }
        try (ChunkCache cache = ChunkCache.open(config)) {
            List<Chunk> hot = hotSet(options.memoryBytes() / 2);
            run("prime hot set", cache, threads, hot, false);
            phases.add(run("warm memory (hot set)", cache, threads, repeat(hot, 200_000), false));
            phases.add(run("mixed (uniform, all chunks)", cache, threads, randomDraws(chunks.size() * 2), false));
        }
    }

    private Phase run(String name, ChunkCache cache, int threads, List<Chunk> reads, boolean mayLoad)
            throws Exception {
        CacheStats before = cache.stats();
        long[] latencies = new long[reads.size()];
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        long start = System.nanoTime();
        try {
            List<Future<Long>> parts = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int first = t;
                parts.add(pool.submit(() -> readEvery(cache, reads, first, threads, latencies, mayLoad)));
            }
            long bytes = 0;
            for (Future<Long> part : parts) {
                bytes += part.get();
            }
            long nanos = System.nanoTime() - start;
            return new Phase(name, threads, reads.size(), bytes, nanos, latencies, before, cache.stats());
        } finally {
            pool.shutdown();
        }
    }

    /** Reads every {@code step}-th chunk from {@code first}, copying it out like a FUSE read; returns the bytes. */
    private long readEvery(ChunkCache cache, List<Chunk> reads, int first, int step, long[] latencies,
                           boolean mayLoad) throws IOException {
        ByteBuffer fuseBuffer = ByteBuffer.allocateDirect(options.maxBytes());
        long bytes = 0;
        try (FileChannel source = FileChannel.open(blob, StandardOpenOption.READ)) {
            for (int i = first; i < reads.size(); i += step) {
                Chunk chunk = reads.get(i);
                long t0 = System.nanoTime();
                byte[] data = cache.getIfPresent(chunk.key()).orElse(null);
                if (data == null) {
                    if (!mayLoad) {
                        throw new IllegalStateException("chunk " + chunk.key() + " should have been cached");
                    }
                    // a miss as the read path meets it: the chunk is read and put
                    data = readFromBlob(source, chunk);
                    cache.put(chunk.key(), data);
                }
                fuseBuffer.clear().put(data);
                latencies[i] = System.nanoTime() - t0;
                bytes += data.length;
            }
        }
        return bytes;
    }

    private static byte[] readFromBlob(FileChannel source, Chunk chunk) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(chunk.size());
        while (buffer.hasRemaining()) {
            if (source.read(buffer, chunk.offset() + buffer.position()) < 0) {
                throw new IOException("blob ends before chunk " + chunk.key());
            }
        }
        return buffer.array();
    }

    /** Times reopening a cache that holds {@code entries} small chunk files, and its index rebuild. */
    private String scanBenchmark(int entries) throws IOException {
        Path dir = options.dir().resolve("scan");
        deleteRecursively(dir);
        ChunkCacheConfig config = new ChunkCacheConfig(dir, 0, 1L << 40, 2, 0);
        SplittableRandom random = new SplittableRandom(options.seed());
        try (ChunkCache cache = ChunkCache.open(config)) {
            for (int i = 0; i < entries; i++) {
                cache.put(randomDigestKey(random), new byte[64]);
            }
        }
        long bestOpen = Long.MAX_VALUE;
        long bestIndexed = Long.MAX_VALUE;
        for (int round = 0; round < 3; round++) {
            long start = System.nanoTime();
            try (ChunkCache cache = ChunkCache.open(config)) {
                bestOpen = Math.min(bestOpen, System.nanoTime() - start);
                cache.awaitIndexed();
                bestIndexed = Math.min(bestIndexed, System.nanoTime() - start);
                if (cache.stats().diskEntries() != entries) {
                    throw new IllegalStateException("reopened with " + cache.stats().diskEntries() + " entries");
                }
            }
        }
        deleteRecursively(dir);
        return String.format(Locale.ROOT, "reopening a cache of %d entries: open returns in %.1f ms, the index is "
                + "rebuilt in the background in %.0f ms (best of 3, inodes in the page cache)", entries,
                bestOpen / 1e6, bestIndexed / 1e6);
    }

    private static void printTable(List<Phase> phases) {
        System.out.println("| phase | threads | reads | MiB | ops/s | MiB/s | p50 µs | p99 µs | memory / disk / "
                + "missed |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---|");
        for (Phase p : phases) {
            long[] sorted = p.latencies().clone();
            Arrays.sort(sorted);
            double seconds = p.nanos() / 1e9;
            System.out.printf(Locale.ROOT, "| %s | %d | %d | %.0f | %.0f | %.0f | %.0f | %.0f | %d / %d / %d |%n",
                    p.name(), p.threads(), p.ops(), p.bytes() / 1048576.0, p.ops() / seconds,
                    p.bytes() / 1048576.0 / seconds, sorted[sorted.length / 2] / 1e3,
                    sorted[(int) (sorted.length * 0.99)] / 1e3,
                    p.after().memoryHits() - p.before().memoryHits(), p.after().diskHits() - p.before().diskHits(),
                    p.after().misses() - p.before().misses());
        }
        System.out.println();
    }

    /** Chunk sizes log-uniform between min and max, laid end to end in the blob. */
    private static List<Chunk> layOut(Options o) {
        SplittableRandom random = new SplittableRandom(o.seed());
        List<Chunk> laid = new ArrayList<>();
        double logMin = Math.log(o.minBytes());
        double logMax = Math.log(o.maxBytes());
        long offset = 0;
        while (offset < o.totalBytes()) {
            int size = (int) Math.exp(logMin + random.nextDouble() * (logMax - logMin));
            laid.add(new Chunk(randomDigestKey(random), offset, size));
            offset += size;
        }
        return laid;
    }

    /** A key like a real chunk digest (the cache does not re-hash contents, so any well-formed digest will do). */
    private static CacheKey randomDigestKey(SplittableRandom random) {
        return CacheKey.ofDigest(String.format("sha256:%016x%016x%016x%016x", random.nextLong(), random.nextLong(),
                random.nextLong(), random.nextLong()));
    }

    private void writeBlob() throws IOException {
        long size = chunks.get(chunks.size() - 1).offset() + chunks.get(chunks.size() - 1).size();
        Files.createDirectories(options.dir());
        if (Files.exists(blob) && Files.size(blob) == size) {
            return;
        }
        try (FileChannel out = FileChannel.open(blob, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            for (long written = 0; written < size; ) {
                int n = (int) Math.min(8 << 20, size - written);
                written += out.write(ByteBuffer.wrap(TestChunks.bytes(written, n)));
            }
        }
    }

    private List<Chunk> hotSet(long bytes) {
        List<Chunk> hot = new ArrayList<>();
        long sum = 0;
        for (Chunk c : shuffled(chunks, options.seed() + 2)) {
            if (sum + c.size() <= bytes) {
                hot.add(c);
                sum += c.size();
            }
        }
        return hot;
    }

    private List<Chunk> repeat(List<Chunk> from, int count) {
        SplittableRandom random = new SplittableRandom(options.seed() + 3);
        return Stream.generate(() -> from.get(random.nextInt(from.size()))).limit(count).toList();
    }

    private List<Chunk> randomDraws(int count) {
        return repeat(chunks, count);
    }

    private static List<Chunk> shuffled(List<Chunk> chunks, long seed) {
        List<Chunk> copy = new ArrayList<>(chunks);
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = copy.size() - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            Chunk tmp = copy.get(i);
            copy.set(i, copy.get(j));
            copy.set(j, tmp);
        }
        return copy;
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }

    private static Options parse(String[] args) {
        Path dir = Path.of("bench/.cache/chunk-cache");
        long total = 384L << 20;
        long memory = 64L << 20;
        long disk = 1L << 30;
        int min = 4 << 10;
        int max = 4 << 20;
        int[] threads = {1, 2};
        int scan = 100_000;
        long seed = 1;
        for (int i = 0; i < args.length; i += 2) {
            String value = args[i + 1];
            switch (args[i]) {
                case "--dir" -> dir = Path.of(value);
                case "--total-mib" -> total = Long.parseLong(value) << 20;
                case "--memory-mib" -> memory = Long.parseLong(value) << 20;
                case "--disk-mib" -> disk = Long.parseLong(value) << 20;
                case "--min-kib" -> min = Integer.parseInt(value) << 10;
                case "--max-kib" -> max = Integer.parseInt(value) << 10;
                case "--threads" -> threads = Arrays.stream(value.split(",")).mapToInt(Integer::parseInt).toArray();
                case "--scan-entries" -> scan = Integer.parseInt(value);
                case "--seed" -> seed = Long.parseLong(value);
                default -> throw new IllegalArgumentException("unknown option " + args[i] + "; options: --dir, "
                        + "--total-mib, --memory-mib, --disk-mib, --min-kib, --max-kib, --threads, --scan-entries, "
                        + "--seed");
            }
        }
        return new Options(dir, total, memory, disk, min, max, threads, scan, seed);
    }
}
