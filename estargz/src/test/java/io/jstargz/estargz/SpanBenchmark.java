package io.jstargz.estargz;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * What decoding a layer's spans costs (decompress, cut into chunks, check each chunk's SHA-256), as a prefetch or a
 * background fetch does, for issue 11's figures. Not a test: run it with the test classpath (see docs/benchmarks.md,
 * "Spans inflated whole"). {@code BLOB [ROUNDS [END]]}: decodes every span that ends by END (default: the whole
 * blob) ROUNDS times (default 30) and prints the median round's thread CPU time and wall time; the first third of
 * the rounds warm up. {@code -Djstargz.libdeflate=false} measures the zlib path.
 */
public final class SpanBenchmark {
    private SpanBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path path = Path.of(args[0]);
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        byte[] blob = Files.readAllBytes(path);
        LayerIndex index = EstargzReader.open(FileBlobSource.open(path), OpenOptions.defaults(path.toString()));
        long end = args.length > 2 ? Long.parseLong(args[2]) : blob.length;
        ChunkTable t = index.chunks();
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long[] cpu = new long[rounds];
        long[] wall = new long[rounds];
        long inflated = 0;
        int spans = 0;
        for (int r = 0; r < rounds; r++) {
            long c0 = threads.getCurrentThreadCpuTime();
            long w0 = System.nanoTime();
            inflated = 0;
            spans = 0;
            for (int s = 0; s < t.spanCount() && t.spanEnd(s) <= end; s++) {
                int from = (int) t.spanStart(s);
                for (byte[] chunk : index.decoder().decodeSpan(s, blob, from, (int) (t.spanEnd(s) - from))) {
                    inflated += chunk.length;
                }
                spans++;
            }
            cpu[r] = threads.getCurrentThreadCpuTime() - c0;
            wall[r] = System.nanoTime() - w0;
        }
        long[] steadyCpu = Arrays.copyOfRange(cpu, rounds / 3, rounds);
        long[] steadyWall = Arrays.copyOfRange(wall, rounds / 3, rounds);
        Arrays.sort(steadyCpu);
        Arrays.sort(steadyWall);
        double ms = steadyCpu[steadyCpu.length / 2] / 1e6;
        System.out.printf("%s: %d spans, %.1f MB of chunks: %.1f ms CPU (%.1f ms wall) per round, %.0f MB/s;"
                        + " inflated with %s%n", path.getFileName(), spans, inflated / 1e6, ms,
                steadyWall[steadyWall.length / 2] / 1e6, inflated / 1e3 / ms,
                WholeInflater.get() != null ? WholeInflater.get() : "zlib");
    }
}
