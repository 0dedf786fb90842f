package io.jstargz.fs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jstargz.cache.ChunkCache;
import io.jstargz.cache.ChunkCacheConfig;
import io.jstargz.estargz.ConvertOptions;
import io.jstargz.estargz.LayerConverter;
import io.jstargz.fs.binding.FuseBinding;
import io.jstargz.fs.binding.FuseBindings;
import io.jstargz.remote.BlobContent;
import io.jstargz.remote.ImageReference;
import io.jstargz.remote.RegistryClient;
import io.jstargz.remote.RegistryConfig;
import io.jstargz.remote.auth.CredentialStore;
import io.jstargz.testing.RegistryServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The FUSE read path measured with fio: sequential MB/s (1 MiB reads) and 4 KiB random-read IOPS, with 1 and 4 jobs,
 * on one large file of a mounted layer, cold (every chunk fetched from a registry on 127.0.0.1), warm (chunks in the
 * disk cache, a fresh mount and memory tier), page-cached (the same mount read once before), next to the same file
 * on local disk (page-cached, and with O_DIRECT). Cold and warm random reads use O_DIRECT so that each one goes
 * through FUSE rather than the page cache the earlier reads filled. The jstargz rows are measured for each FUSE
 * binding in turn, in the same run. Prints a markdown table. Run by {@code bench/fuse}.
 *
 * <p>Options: {@code --file-mib N} (default 512), {@code --chunk-mib N} (4, the reference default),
 * {@code --runtime S} seconds per random-read run (10), {@code --cold-ios N} random reads per cold run (64, so most
 * of them miss), {@code --memory-mib N} memory tier of the chunk cache (its default, 256), {@code --dir DIR}
 * (bench/.cache/fuse), {@code --bindings LIST} (kernel,jnr; the kernel binding needs JDK 22+).
 */
public final class FuseReadBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String REPO = "bench/fuse-layer";

    private final Path dir;
    private final int fileMib;
    private final int runtime;
    private final int coldIos;
    private final long memoryBytes;
    private final Path data;
    private final List<FuseBinding> bindings;
    private FuseBinding binding;
    private RegistryClient client;
    private ImageReference repo;
    private BlobContent blob;

    private FuseReadBenchmark(Path dir, int fileMib, int runtime, int coldIos, long memoryBytes,
                              List<FuseBinding> bindings) {
        this.dir = dir;
        this.bindings = bindings;
        this.fileMib = fileMib;
        this.runtime = runtime;
        this.coldIos = coldIos;
        this.memoryBytes = memoryBytes;
        this.data = dir.resolve("data/big.bin");
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of("bench/.cache/fuse");
        int fileMib = 512;
        int chunkMib = 4;
        int runtime = 10;
        int coldIos = 64;
        long memoryMib = ChunkCacheConfig.DEFAULT_MEMORY_BYTES >> 20;
        String bindings = "kernel,jnr";
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--dir" -> dir = Path.of(args[i + 1]);
                case "--file-mib" -> fileMib = Integer.parseInt(args[i + 1]);
                case "--chunk-mib" -> chunkMib = Integer.parseInt(args[i + 1]);
                case "--runtime" -> runtime = Integer.parseInt(args[i + 1]);
                case "--cold-ios" -> coldIos = Integer.parseInt(args[i + 1]);
                case "--memory-mib" -> memoryMib = Long.parseLong(args[i + 1]);
                case "--bindings" -> bindings = args[i + 1];
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        List<FuseBinding> chosen = Stream.of(bindings.split(","))
                .map(b -> FuseBindings.create(FuseBindings.Choice.of(b))).toList();
        new FuseReadBenchmark(dir.toAbsolutePath(), fileMib, runtime, coldIos, memoryMib << 20, chosen)
                .run(chunkMib);
    }

    private void run(int chunkMib) throws Exception {
        Path layer = prepareLayer(chunkMib);
        try (RegistryServer registry = RegistryServer.start()) {
            client = RegistryClient.create(RegistryConfig.builder().hostsDir(Path.of("/nonexistent")).build(),
                    CredentialStore.ANONYMOUS);
            repo = ImageReference.parse(registry.host() + "/" + REPO);
            blob = BlobContent.of(layer);
            client.pushBlob(repo, blob, null);
            System.out.printf("file: %d MiB, %d MiB chunks, blob %d MiB; chunk cache memory tier %d MiB; %s;"
                    + " random runs %d s, cold random %d reads per run%n%n", fileMib, chunkMib, blob.size() >> 20,
                    memoryBytes >> 20, fioVersion(), runtime, coldIos);
            System.out.println("| source | seq MB/s, 1 job | seq MB/s, 4 jobs | 4 KiB rand IOPS, 1 job"
                    + " | 4 KiB rand IOPS, 4 jobs | fetched by FUSE (MiB, requests) |");
            System.out.println("|---|---:|---:|---:|---:|---|");
            localDisk();
            for (FuseBinding b : bindings) {
                binding = b;
                cold();
                warm();
                pageCached();
                if (b.name().equals("kernel")) {
                    passthrough();
                }
            }
            client.close();
        }
    }

    /** One large file of half-compressible random bytes, tarred and converted to eStargz (reused across runs). */
    private Path prepareLayer(int chunkMib) throws IOException, InterruptedException {
        Path layer = dir.resolve("layer-" + fileMib + "m-" + chunkMib + "m.esgz");
        if (Files.exists(layer) && Files.size(data) == (long) fileMib << 20) {
            return layer;
        }
        Files.createDirectories(data.getParent());
        Random random = new Random(1);
        byte[] block = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(data)) {
            for (int i = 0; i < fileMib; i++) {
                random.nextBytes(block);
                for (int j = 0; j < block.length; j += 2) {
                    block[j] = (byte) (j % 13);
                }
                out.write(block);
            }
        }
        Path tar = dir.resolve("layer.tar");
        exec(List.of("tar", "-C", data.getParent().toString(), "-cf", tar.toString(), "big.bin"));
        try (OutputStream out = Files.newOutputStream(layer)) {
            new LayerConverter(ConvertOptions.defaults().withChunkSize(chunkMib << 20).withCompressionLevel(6)
                    .withTempDir(dir)).convert(tar, out);
        }
        Files.delete(tar);
        return layer;
    }

    private void localDisk() throws Exception {
        readAll(data);
        row("local disk, page cache", data, null, List.of("--invalidate=0"), false);
        row("local disk, O_DIRECT", data, null, List.of("--direct=1"), false);
    }

    /** Every run on a fresh mount with an empty cache: every chunk comes from the registry. */
    private void cold() throws Exception {
        List<String> cells = new ArrayList<>();
        long bytes = 0;
        long requests = 0;
        for (int k = 0; k < 4; k++) {
            Path cacheDir = dir.resolve("cold-cache-" + k);
            deleteTree(cacheDir);
            try (ChunkCache cache = openCache(cacheDir);
                 LayerMount m = mount(cache)) {
                cells.add(measure(k, m.mountPoint().resolve("big.bin"), List.of(), true));
                bytes += m.progress().onDemandBytes();
                requests += m.progress().requests();
            }
            deleteTree(cacheDir);
        }
        print("jstargz " + binding.name() + ", cold (registry on 127.0.0.1)", cells, bytes, requests);
    }

    /** Chunks in the disk cache; every run on a fresh mount and a fresh memory tier. */
    private void warm() throws Exception {
        Path cacheDir = dir.resolve("warm-cache");
        deleteTree(cacheDir);
        try (ChunkCache cache = openCache(cacheDir); LayerMount m = mount(cache)) {
            readAll(m.mountPoint().resolve("big.bin"));
        }
        List<String> cells = new ArrayList<>();
        long bytes = 0;
        long requests = 0;
        for (int k = 0; k < 4; k++) {
            try (ChunkCache cache = openCache(cacheDir); LayerMount m = mount(cache)) {
                cells.add(measure(k, m.mountPoint().resolve("big.bin"), List.of(), false));
                bytes += m.progress().onDemandBytes();
                requests += m.progress().requests();
            }
        }
        print("jstargz " + binding.name() + ", warm (disk cache)", cells, bytes, requests);
    }

    /** One mount, the file read once: the kernel serves it from the page cache. */
    private void pageCached() throws Exception {
        Path cacheDir = dir.resolve("warm-cache");
        try (ChunkCache cache = openCache(cacheDir); LayerMount m = mount(cache)) {
            Path file = m.mountPoint().resolve("big.bin");
            readAll(file);
            long before = m.progress().requests();
            row("jstargz " + binding.name() + ", page cache", file, m, List.of("--invalidate=0"), false);
            if (m.progress().requests() != before) {
                throw new IllegalStateException("page-cached runs fetched from the registry");
            }
        }
        deleteTree(cacheDir);
    }

    /**
     * Chunks in the disk cache and a local copy of the file, which the kernel reads directly (FUSE passthrough):
     * every run on a fresh mount (a new copy) and the page cache of the copy dropped, random reads with O_DIRECT.
     */
    private void passthrough() throws Exception {
        Path cacheDir = dir.resolve("warm-cache");
        deleteTree(cacheDir);
        try (ChunkCache cache = openCache(cacheDir); LayerMount m = mount(cache, null)) {
            readAll(m.mountPoint().resolve("big.bin"));
        }
        List<String> cells = new ArrayList<>();
        long bytes = 0;
        long requests = 0;
        for (int k = 0; k < 4; k++) {
            try (ChunkCache cache = openCache(cacheDir); LayerMount m = mount(cache, dir.resolve("copies"))) {
                Path copy = m.passthroughCopy("big.bin").get(10, TimeUnit.MINUTES);
                // drop the copy's pages from the page cache: reads come from the disk, as from the chunk cache's
                exec(List.of("dd", "of=" + copy, "oflag=nocache", "conv=notrunc,fdatasync", "count=0",
                        "status=none"));
                cells.add(measure(k, m.mountPoint().resolve("big.bin"), List.of(), false));
                bytes += m.progress().onDemandBytes();
                requests += m.progress().requests();
            }
        }
        print("jstargz " + binding.name() + ", warm, passthrough (local copy)", cells, bytes, requests);
        deleteTree(cacheDir);
    }

    private ChunkCache openCache(Path cacheDir) throws IOException {
        return ChunkCache.open(new ChunkCacheConfig(cacheDir, memoryBytes, ChunkCacheConfig.DEFAULT_DISK_BYTES,
                ChunkCacheConfig.DEFAULT_SHARD_WIDTH));
    }

    private LayerMount mount(ChunkCache cache) throws IOException {
        return mount(cache, null);
    }

    /**
     * A fresh mount of the layer from the registry, without prefetch or background fetch, with local copies for
     * passthrough under {@code copies} unless it is null.
     */
    private LayerMount mount(ChunkCache cache, Path copies) throws IOException {
        LayerMountOptions options = LayerMountOptions.builder().prefetch(false).backgroundFetch(false)
                .binding(binding).passthroughDir(copies).build();
        LayerMount m = LayerMount.open(new LayerIdentity(repo.toString(), blob.digest().toString()),
                client.openBlob(repo, blob.digest(), blob.size()), cache, options);
        Path mp = Files.createDirectories(dir.resolve("mnt"));
        m.mount(mp);
        return m;
    }

    private void row(String name, Path file, LayerMount m, List<String> extra, boolean cold) throws Exception {
        List<String> cells = new ArrayList<>();
        for (int k = 0; k < 4; k++) {
            cells.add(measure(k, file, extra, cold));
        }
        print(name, cells, m == null ? -1 : m.progress().onDemandBytes(), m == null ? -1 : m.progress().requests());
    }

    private void print(String name, List<String> cells, long bytes, long requests) {
        String fetched = bytes < 0 ? "-" : String.format(Locale.ROOT, "%.0f, %d", bytes / 1048576.0, requests);
        String line = "| " + name + " | " + String.join(" | ", cells) + " | " + fetched + " |";
        System.out.println(line);
    }

    /** Measurement k: 0 seq 1 job, 1 seq 4 jobs, 2 random 1 job, 3 random 4 jobs. */
    private String measure(int k, Path file, List<String> extra, boolean cold) throws Exception {
        int jobs = k % 2 == 0 ? 1 : 4;
        long size = Files.size(file);
        List<String> fio = new ArrayList<>(List.of("fio", "--name=bench", "--filename=" + file,
                "--numjobs=" + jobs, "--group_reporting", "--output-format=json", "--ioengine=psync"));
        if (k < 2) {
            long part = size / jobs;
            fio.addAll(List.of("--rw=read", "--bs=1M", "--size=" + part, "--offset_increment=" + part));
        } else {
            fio.addAll(List.of("--rw=randread", "--bs=4k", "--randrepeat=0", "--norandommap"));
            fio.addAll(cold ? List.of("--number_ios=" + Math.max(1, coldIos / jobs), "--runtime=600")
                    : List.of("--time_based", "--runtime=" + runtime));
            if (extra.isEmpty()) {
                // a mount's random reads with O_DIRECT: every read goes through FUSE, none is a page-cache hit
                fio.add("--direct=1");
            }
        }
        fio.addAll(extra);
        JsonNode read = JSON.readTree(exec(fio)).get("jobs").get(0).get("read");
        return k < 2 ? String.format(Locale.ROOT, "%.0f", read.get("bw_bytes").asDouble() / 1e6)
                : String.format(Locale.ROOT, "%.0f", read.get("iops").asDouble());
    }

    private static void readAll(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
    }

    private static String fioVersion() throws IOException, InterruptedException {
        return exec(List.of("fio", "--version")).trim();
    }

    private static String exec(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed");
        }
        return new String(out, StandardCharsets.UTF_8);
    }

    static void deleteTree(Path d) throws IOException {
        if (!Files.exists(d)) {
            return;
        }
        try (Stream<Path> s = Files.walk(d)) {
            for (Path p : s.sorted((a, b) -> b.compareTo(a)).toList()) {
                Files.delete(p);
            }
        }
    }
}
