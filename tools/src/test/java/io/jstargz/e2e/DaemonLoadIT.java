package io.jstargz.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jstargz.process.ProcessMemory;
import io.jstargz.remote.RegistryClient;
import io.jstargz.remote.RegistryConfig;
import io.jstargz.remote.auth.CredentialStore;
import io.jstargz.testing.Containerd;
import io.jstargz.testing.LayerBuilder;
import io.jstargz.testing.RegistryServer;
import io.jstargz.text.Sizes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon's memory under load (issue 18, item 3): 20 images pulled lazily at once with {@code ctr-remote image
 * rpull}, then 16 readers reading every file of their mounted layers in parallel, while the background fetch fills
 * the cache. The daemon's resident memory, read from {@code /proc/PID/status} (its peak under the load, {@code VmHWM}
 * reset once the daemon's start and warm-up are over, and what it holds once every layer is local), stays within the
 * process bound the daemon computes from its configuration and shows in {@code jstargz status}. The figures are
 * printed for docs/benchmarks.md.
 *
 * <p>Each image is one layer of its own random bytes (distinct layers, nothing shared in the cache): a few files of
 * 2 MiB and many small ones, so that reads miss and fetch from the registry, in chunks of 2 MiB and in small files.
 */
class DaemonLoadIT {
    private static final String NS = "jstargz-load";
    private static final int IMAGES = 20;
    private static final int READERS = 16;
    private static final int BIG_FILES = 4;
    private static final int BIG_FILE_BYTES = 2 << 20;
    private static final int SMALL_FILES = 32;
    private static final int SMALL_FILE_BYTES = 16 << 10;
    private static final Duration DEADLINE = Duration.ofSeconds(300);

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path tmp;

    /** A file of a layer, and the bytes it must read as. */
    private record LayerFile(String path, byte[] content) {
    }

    private static List<LayerFile> files(int image) {
        Random random = new Random(image);
        List<LayerFile> files = new ArrayList<>();
        for (int i = 0; i < BIG_FILES; i++) {
            byte[] b = new byte[BIG_FILE_BYTES];
            random.nextBytes(b);
            files.add(new LayerFile("data/big-" + i, b));
        }
        for (int i = 0; i < SMALL_FILES; i++) {
            byte[] b = new byte[SMALL_FILE_BYTES];
            random.nextBytes(b);
            files.add(new LayerFile("data/small/" + i, b));
        }
        return files;
    }

    @Test
    void twentyLazyPullsAndSixteenReadersStayWithinTheProcessBound() throws Exception {
        Path socket = tmp.resolve("run/jstargz.sock");
        Path config = Files.writeString(tmp.resolve("config.toml"), "root = \"" + tmp.resolve("root") + "\"\n"
                + "address = \"" + socket + "\"\n"
                + "[registry]\nhosts_dir = \"" + tmp.resolve("certs.d") + "\"\n" + DaemonProcess.fuseConfig());
        try (RegistryServer registry = RegistryServer.start();
             DaemonProcess daemon = DaemonProcess.start(config, socket, tmp.resolve("jstargz.log"));
             Containerd containerd = Containerd.start(new Containerd.Options(tmp.resolve("containerd"), socket,
                     tmp.resolve("root"), false))) {
            List<TestImage> images = push(registry);
            // the peak of the start (the warm-up's compilations) is the start's own: the load's peak is measured
            // from here (writing 5 to clear_refs resets VmHWM to the current VmRSS)
            daemon.awaitLog(DEADLINE, "warm-up finished");
            ProcessMemory started = ProcessMemory.of(daemon.pid());
            Files.writeString(Path.of("/proc", Long.toString(daemon.pid()), "clear_refs"), "5");
            Memory memory = new Memory(daemon.pid());
            try {
                pullAll(containerd, images);
                readAll(daemon, images);
                memory.sample();
                for (TestImage image : images) {
                    daemon.awaitLog(DEADLINE, image.layerDigests().get(0), "is fully local");
                }
            } finally {
                memory.stop();
            }
            ProcessMemory settled = ProcessMemory.of(daemon.pid());
            JsonNode status = daemon.statusJson();
            long bound = status.get("memoryBoundBytes").asLong();
            assertTrue(daemon.awaitLog(DEADLINE, "memory: ").contains("process bound " + (bound >> 20) + " MiB"),
                    "the start-up line names the bound status shows");
            System.out.printf("daemon memory: after its start %s (peak of the start %s); under load: peak (VmHWM)"
                            + " %s, highest VmRSS sampled while pulling and reading %s, after every layer was local"
                            + " %s; process bound %s%n", Sizes.human(started.residentBytes()),
                    Sizes.human(started.peakBytes()), Sizes.human(settled.peakBytes()),
                    Sizes.human(memory.highest()), Sizes.human(settled.residentBytes()), Sizes.human(bound));
            assertTrue(settled.peakBytes() <= bound, "the daemon's peak resident memory, "
                    + Sizes.human(settled.peakBytes()) + ", is within its process bound of " + Sizes.human(bound));
            assertTrue(settled.residentBytes() <= bound);
            assertTrue(status.get("residentBytes").asLong() > 0, status.toString());
        }
    }

    private static List<TestImage> push(RegistryServer registry) throws Exception {
        try (RegistryClient client = RegistryClient.create(RegistryConfig.builder()
                .hostsDir(Path.of("/nonexistent")).build(), CredentialStore.ANONYMOUS)) {
            List<TestImage> images = new ArrayList<>();
            for (int i = 0; i < IMAGES; i++) {
                LayerBuilder layer = new LayerBuilder();
                for (LayerFile f : files(i)) {
                    layer.file(f.path(), f.content(), 0644);
                }
                images.add(TestImage.pushEstargz(client, registry.host() + "/load/image-" + i + ":esgz",
                        List.of(layer), List.of()));
            }
            return images;
        }
    }

    private static void pullAll(Containerd containerd, List<TestImage> images) throws Exception {
        ExecutorService pulls = Executors.newFixedThreadPool(images.size());
        try {
            List<Future<String>> done = new ArrayList<>();
            for (TestImage image : images) {
                done.add(pulls.submit(() -> containerd.ctrRemote(NS, "image", "rpull", "--plain-http",
                        "--snapshotter", Containerd.SNAPSHOTTER, image.ref()).orThrow()));
            }
            for (Future<String> d : done) {
                d.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
            }
        } finally {
            pulls.shutdownNow();
        }
    }

    /** Every file of every image, read by {@link #READERS} threads at once and compared with what was pushed. */
    private static void readAll(DaemonProcess daemon, List<TestImage> images) throws Exception {
        Map<String, JsonNode> status = daemon.status();
        ConcurrentLinkedQueue<Runnable> reads = new ConcurrentLinkedQueue<>();
        for (int i = 0; i < images.size(); i++) {
            String digest = images.get(i).layerDigests().get(0);
            JsonNode remote = status.values().stream().map(s -> s.path("remote"))
                    .filter(r -> r.path("layerDigest").asText().equals(digest)).findFirst()
                    .orElseThrow(() -> new AssertionError("no remote record of " + digest));
            assertEquals("MOUNTED", remote.get("state").asText(), remote.toString());
            Path mount = Path.of(remote.get("mountPoint").asText());
            for (LayerFile f : files(i)) {
                reads.add(() -> assertArrayEquals(f.content(), read(mount.resolve(f.path())),
                        mount.resolve(f.path()).toString()));
            }
        }
        ExecutorService readers = Executors.newFixedThreadPool(READERS);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int r = 0; r < READERS; r++) {
                done.add(readers.submit(() -> {
                    for (Runnable read; (read = reads.poll()) != null; ) {
                        read.run();
                    }
                }));
            }
            for (Future<?> d : done) {
                d.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
            }
        } finally {
            readers.shutdownNow();
        }
    }

    /** The whole file, in reads of 128 KiB as a program's buffered reads reach FUSE. */
    private static byte[] read(Path file) {
        try (FileChannel ch = FileChannel.open(file)) {
            ByteBuffer all = ByteBuffer.allocate((int) ch.size());
            ByteBuffer buf = ByteBuffer.allocate(128 << 10);
            while (ch.read(buf) > 0) {
                all.put(buf.flip());
                buf.clear();
            }
            return Arrays.copyOf(all.array(), all.position());
        } catch (IOException e) {
            throw new AssertionError("cannot read " + file, e);
        }
    }

    /** The daemon's resident memory, sampled every 100 ms while the load runs; its peak is the kernel's VmHWM. */
    private static final class Memory {
        private final long pid;
        private final AtomicLong highest = new AtomicLong();
        private final ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();

        Memory(long pid) {
            this.pid = pid;
            sampler.scheduleAtFixedRate(this::sample, 0, 100, TimeUnit.MILLISECONDS);
        }

        void sample() {
            try {
                highest.accumulateAndGet(ProcessMemory.of(pid).residentBytes(), Math::max);
            } catch (IOException e) {
                throw new AssertionError("cannot read the daemon's memory", e);
            }
        }

        long highest() {
            return highest.get();
        }

        void stop() {
            sampler.shutdownNow();
        }
    }
}
