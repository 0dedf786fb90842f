package io.jstargz.estargz;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Build time and retained size of a layer's index, for issue 11's figures. Not a test: run it with the test
 * classpath on the JDK to measure (see docs/benchmarks.md for the command).
 * <ul>
 *   <li>{@code convert IN.tar[.gz] OUT.esgz}: converts a layer with the default options (e.g. the python image's
 *   base layer);</li>
 *   <li>{@code generate N OUT.esgz}: converts a generated layer of about N entries shaped like a distribution's
 *   root file system (nested directories, small files, symlinks, a few hardlinks);</li>
 *   <li>{@code open BLOB [ROUNDS]}: the first open in this JVM (cold), then the median of ROUNDS opens (steady
 *   state), the bytes allocated per open, and the heap retained per index after a full GC;</li>
 *   <li>{@code open-warm WARM BLOB}: one open of BLOB after a warm-up like the daemon's: up to 40 opens of WARM
 *   (a small layer) within 1.5 s.</li>
 * </ul>
 */
public final class IndexBenchmark {
    private static final int HELD = 8;
    /** The daemon's warm-up: at most this many opens of its own layer, within this time. */
    private static final int WARMUP_OPENS = 40;
    private static final long WARMUP_BUDGET_NANOS = 1_500_000_000L;

    private IndexBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "convert" -> convert(Path.of(args[1]), Path.of(args[2]));
            case "generate" -> generate(Integer.parseInt(args[1]), Path.of(args[2]));
            case "open" -> open(Path.of(args[1]), args.length > 2 ? Integer.parseInt(args[2]) : 200);
            case "open-warm" -> openAfterWarmup(Path.of(args[1]), Path.of(args[2]));
            default -> throw new IllegalArgumentException("convert, generate, open or open-warm, not " + args[0]);
        }
    }

    private static void convert(Path in, Path out) throws IOException {
        try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(out), 1 << 20)) {
            ConvertResult r = new LayerConverter(ConvertOptions.defaults()).convert(in, os);
            System.out.println(out + ": " + r.size() + " bytes, TOC " + r.tocDigest());
        }
    }

    private static void generate(int entries, Path out) throws IOException {
        Path tar = Files.createTempFile("jstargz-index-bench-", ".tar");
        try {
            writeTree(entries, tar);
            convert(tar, out);
        } finally {
            Files.delete(tar);
        }
    }

    /** About {@code n} entries: one directory per ten files, one symlink per thirty, one hardlink per thousand. */
    private static void writeTree(int n, Path tar) throws IOException {
        Random r = new Random(11);
        try (TarArchiveOutputStream out = new TarArchiveOutputStream(
                new BufferedOutputStream(Files.newOutputStream(tar), 1 << 20))) {
            out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            String[] tops = {"usr/lib/python3.11/", "usr/share/doc/", "usr/lib/x86_64-linux-gnu/", "usr/include/"};
            int written = 0;
            for (String top : tops) {
                String[] parts = top.split("/");
                String p = "";
                for (String part : parts) {
                    p += part + "/";
                    written += entry(out, p, TarArchiveEntry.LF_DIR, null, 0, r);
                }
            }
            for (int d = 0; written < n; d++) {
                String pkg = tops[d % tops.length] + "pkg" + d / 32 + "/";
                int sub = d / tops.length % 8;
                String dir = sub == 0 ? pkg : pkg + "sub" + sub + "/";
                written += entry(out, dir, TarArchiveEntry.LF_DIR, null, 0, r);
                for (int f = 0; f < 10 && written < n; f++) {
                    String file = dir + "module_" + f + (f % 3 == 0 ? ".cpython-311.pyc" : ".py");
                    written += entry(out, file, TarArchiveEntry.LF_NORMAL, null, f == 0 ? 0 : 64 + r.nextInt(4000),
                            r);
                    if (written % 30 == 0) {
                        written += entry(out, dir + "link_" + f, TarArchiveEntry.LF_SYMLINK, "module_" + f, 0, r);
                    }
                    if (written % 1000 == 0) {
                        written += entry(out, dir + "hard_" + f, TarArchiveEntry.LF_LINK, file, 0, r);
                    }
                }
            }
        }
    }

    private static int entry(TarArchiveOutputStream out, String name, byte type, String link, int size, Random r)
            throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name, type);
        e.setMode(type == TarArchiveEntry.LF_DIR ? 0755 : 0644);
        e.setModTime(1_700_000_000_000L);
        e.setUserName("root");
        e.setGroupName("root");
        if (link != null) {
            e.setLinkName(link);
        }
        byte[] data = new byte[size];
        for (int i = 0; i < size; i++) {
            data[i] = (byte) ('a' + r.nextInt(8));
        }
        e.setSize(size);
        out.putArchiveEntry(e);
        out.write(data);
        out.closeArchiveEntry();
        return 1;
    }

    private static void open(Path file, int rounds) throws Exception {
        byte[] blob = Files.readAllBytes(file);
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long c0 = threads.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        LayerIndex first = open(blob);
        long cold = System.nanoTime() - t0;
        long coldCpu = threads.getCurrentThreadCpuTime() - c0;
        System.out.printf("%s: %d entries, TOC %d bytes compressed%n", file.getFileName(), first.entryCount(),
                first.tocSize());
        System.out.printf("first open (cold JVM): %.1f ms, %.1f ms CPU%n", cold / 1e6, coldCpu / 1e6);
        long[] times = new long[rounds];
        long[] cpu = new long[rounds];
        long allocated = 0;
        for (int i = 0; i < rounds; i++) {
            long a0 = threads.getCurrentThreadAllocatedBytes();
            long c = threads.getCurrentThreadCpuTime();
            long s = System.nanoTime();
            open(blob);
            times[i] = System.nanoTime() - s;
            cpu[i] = threads.getCurrentThreadCpuTime() - c;
            allocated += threads.getCurrentThreadAllocatedBytes() - a0;
        }
        Arrays.sort(times);
        Arrays.sort(cpu);
        System.out.printf("steady state (median of %d): %.2f ms, %.2f ms CPU (min %.2f ms); allocated per open: "
                + "%.1f MB%n", rounds, times[rounds / 2] / 1e6, cpu[rounds / 2] / 1e6, times[0] / 1e6,
                allocated / (double) rounds / 1e6);
        long base = liveHeap();
        LayerIndex[] held = new LayerIndex[HELD];
        for (int i = 0; i < HELD; i++) {
            held[i] = open(blob);
        }
        long retained = (liveHeap() - base) / HELD;
        System.out.printf("retained per index: %d bytes, %.0f bytes per entry%n", retained,
                retained / (double) held[0].entryCount());
    }

    private static void openAfterWarmup(Path warm, Path file) throws Exception {
        byte[] small = Files.readAllBytes(warm);
        byte[] blob = Files.readAllBytes(file);
        long deadline = System.nanoTime() + WARMUP_BUDGET_NANOS;
        int n = 0;
        for (; n < WARMUP_OPENS && System.nanoTime() < deadline; n++) {
            open(small);
        }
        System.gc();
        java.lang.management.ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long c0 = threads.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        open(blob);
        System.out.printf("open after %d warm-up opens: %.1f ms, %.1f ms CPU%n", n, (System.nanoTime() - t0) / 1e6,
                (threads.getCurrentThreadCpuTime() - c0) / 1e6);
    }

    private static LayerIndex open(byte[] blob) throws IOException {
        return EstargzReader.open(new TestData.CountingSource(blob), OpenOptions.defaults("bench"));
    }

    private static long liveHeap() {
        for (int i = 0; i < 4; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
