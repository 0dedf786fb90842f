package io.jstargz.fs.binding.kernel;

import io.jstargz.mount.FileTrees;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What keeping the table of open inodes on disk ({@link OpenInodeTable}) adds to each FUSE open and release: the
 * stores of one open and its release, as an open that finds its inode with no open file (a new slot) and one that
 * finds it open (a new count), each with its release, on {@code --threads} threads (16: a mount's most workers) over
 * {@code --inodes} inodes per thread. Prints the nanoseconds per open-and-release pair, median of 5 rounds after 5
 * rounds of warm-up.
 *
 * <p>Run, after {@code mvn -B -o -q -pl fuse-fs -am test-compile dependency:build-classpath
 * -Dmdep.outputFile=/tmp/cp-ff.txt -Dmdep.includeScope=test}: {@code java --enable-native-access=ALL-UNNAMED -cp
 * fuse-fs/target/test-classes:fuse-fs/target/classes:$(cat /tmp/cp-ff.txt)
 * io.jstargz.fs.binding.kernel.OpenInodeTableBenchmark} (JDK 22+).
 */
public final class OpenInodeTableBenchmark {
    private OpenInodeTableBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int threads = 16;
        int inodes = 1000;
        int pairs = 1_000_000;
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--threads" -> threads = Integer.parseInt(args[i + 1]);
                case "--inodes" -> inodes = Integer.parseInt(args[i + 1]);
                case "--pairs" -> pairs = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        Path dir = Files.createTempDirectory("open-inode-table");
        try (OpenInodeTable table = OpenInodeTable.create(dir.resolve("fs"), List.of())) {
            for (int t : new int[] {1, threads}) {
                List<Double> newSlot = new ArrayList<>();
                List<Double> newCount = new ArrayList<>();
                for (int round = 0; round < 10; round++) {
                    double a = round(table, t, inodes, pairs, true);
                    double b = round(table, t, inodes, pairs, false);
                    if (round >= 5) {
                        newSlot.add(a);
                        newCount.add(b);
                    }
                }
                System.out.printf("open-inode table, %d thread(s): %.1f ns per open and release of an inode with no"
                        + " open file (a slot written, then freed); %.1f ns per open and release of one already open"
                        + " (its count, twice)%n", t, median(newSlot), median(newCount));
            }
        } finally {
            FileTrees.removeTree(dir);
        }
    }

    /** Wall-clock nanoseconds per open-and-release pair, {@code pairs} pairs spread over {@code threads} threads. */
    private static double round(OpenInodeTable table, int threads, int inodes, int pairs, boolean newSlot)
            throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(threads);
        AtomicLong failures = new AtomicLong();
        int perThread = pairs / threads;
        for (int t = 0; t < threads; t++) {
            long base = (long) t * inodes + 1;
            Thread.ofPlatform().start(() -> {
                try {
                    int[] slots = new int[inodes];
                    for (int i = 0; i < inodes && !newSlot; i++) {
                        slots[i] = table.add(base + i, 3, 1);
                    }
                    go.await();
                    for (int n = 0; n < perThread; n++) {
                        int i = n % inodes;
                        if (newSlot) {
                            table.remove(table.add(base + i, 3, 1));
                        } else {
                            table.count(slots[i], 2);
                            table.count(slots[i], 1);
                        }
                    }
                    for (int i = 0; i < inodes && !newSlot; i++) {
                        table.remove(slots[i]);
                    }
                } catch (Exception e) {
                    failures.incrementAndGet();
                } finally {
                    done.countDown();
                }
            });
        }
        long start = System.nanoTime();
        go.countDown();
        done.await();
        long elapsed = System.nanoTime() - start;
        if (failures.get() > 0) {
            throw new IllegalStateException(failures.get() + " threads failed");
        }
        return (double) elapsed / ((long) perThread * threads);
    }

    private static double median(List<Double> values) {
        List<Double> s = values.stream().sorted().toList();
        return s.get(s.size() / 2);
    }
}
