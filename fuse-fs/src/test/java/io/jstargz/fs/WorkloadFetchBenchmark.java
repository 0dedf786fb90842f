package io.jstargz.fs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jstargz.cache.ChunkCache;
import io.jstargz.cache.ChunkCacheConfig;
import io.jstargz.estargz.BlobFormat;
import io.jstargz.estargz.ConvertOptions;
import io.jstargz.estargz.LayerConverter;
import io.jstargz.fs.binding.OperationStats;
import io.jstargz.mount.FileTrees;
import io.jstargz.process.Command;
import io.jstargz.remote.BlobContent;
import io.jstargz.remote.ImageReference;
import io.jstargz.remote.RegistryClient;
import io.jstargz.remote.RegistryConfig;
import io.jstargz.remote.auth.CredentialStore;
import io.jstargz.testing.RegistryServer;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * What a workload makes the read path fetch, and what its FUSE requests cost, without containerd: an image's layers
 * (from an OCI layout, by default the one {@code bench/run} builds) converted with the defaults of
 * {@code jstargz image convert}, pushed to {@code docker-registry} on 127.0.0.1, each mounted with {@link LayerMount}
 * (no prefetch and no background fetch: the {@code lazy-noopt} case while the workload runs), stacked with overlayfs
 * as containerd stacks them, and the workload run in that root ({@code unshare --root --wd}, with the image's
 * environment and working directory).
 *
 * <p>First table: for each neighbour budget ({@link LayerMountOptions#neighbourBytes()}), runs from an empty cache
 * and fresh mounts; the requests the read path sent, the compressed bytes it fetched for the reads themselves and as
 * neighbours, the workload's time on loopback, and what a link adds to it: one round trip per request and the bytes
 * at the link's rate (the workload reads one file at a time, so its requests do not overlap). Second table: the workload on a
 * local copy of the same tree, on mounts whose chunks are all in the disk cache, and cold, with the FUSE requests
 * the mounts served and the time their handlers took; what remains of the difference to the local copy is the
 * kernel's and the binding's share.
 *
 * <p>Options: {@code --layout DIR}, {@code --image TAG} (python), {@code --zstdchunked} and
 * {@code --min-chunk-size BYTES} (convert as {@code jstargz image convert} does with those options),
 * {@code --budgets KIB,...} (0,32,64,128,256,512), {@code --runs N} (3), {@code --rtt-ms} (20) and
 * {@code --mbit} (200) for the estimate, {@code --files} (list the files each layer served), {@code --dir DIR} (bench/.cache/workload-fetch), then {@code -- COMMAND...} (default:
 * the bench's python workload). Needs root, FUSE, overlayfs and docker-registry. Run by {@code bench/workload-fetch}.
 */
public final class WorkloadFetchBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String REPO = "bench/workload";
    private static final Duration DEADLINE = Duration.ofMinutes(5);

    /**
     * One run of the workload.
     *
     * @param seconds    the workload's wall time
     * @param operations FUSE requests of all layers, by operation
     * @param files      per layer (0 is the lowest), the files opened, in order
     */
    private record Run(double seconds, long requests, long onDemandBytes, long neighbourBytes,
                       Map<String, OperationStats.Totals> operations, Map<Integer, List<String>> files) {
        long fetched() {
            return onDemandBytes + neighbourBytes;
        }

        long fuseRequests() {
            return operations.values().stream().mapToLong(OperationStats.Totals::count).sum();
        }

        double handlerSeconds() {
            return operations.values().stream().mapToLong(OperationStats.Totals::nanos).sum() / 1e9;
        }
    }

    private final Path dir;
    private final Path layout;
    private final String image;
    private final List<String> command;
    private final int runs;
    private final double rttMs;
    private final double mbit;
    private final ConvertOptions conversion;
    private RegistryClient client;
    private ImageReference repo;
    private List<BlobContent> layers;
    private Map<String, String> env = Map.of();
    private String workDir = "/";

    private WorkloadFetchBenchmark(Path dir, Path layout, String image, List<String> command, int runs, double rttMs,
                                   double mbit, ConvertOptions conversion) {
        this.dir = dir;
        this.layout = layout;
        this.image = image;
        this.command = command;
        this.runs = runs;
        this.rttMs = rttMs;
        this.mbit = mbit;
        this.conversion = conversion;
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of("bench/.cache/workload-fetch");
        Path layout = null;
        String image = "python";
        List<Long> budgets = List.of(0L, 32L, 64L, 128L, 256L, 512L);
        int runs = 3;
        double rtt = 20;
        double mbit = 200;
        boolean files = false;
        ConvertOptions conversion = ConvertOptions.defaults();
        int minChunkSize = 0;
        List<String> command = List.of("python3", "-c", "import json, sqlite3; print(1)");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--dir" -> dir = Path.of(args[++i]);
                case "--layout" -> layout = Path.of(args[++i]);
                case "--image" -> image = args[++i];
                case "--budgets" -> budgets = Arrays.stream(args[++i].split(",")).map(Long::parseLong).toList();
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--rtt-ms" -> rtt = Double.parseDouble(args[++i]);
                case "--mbit" -> mbit = Double.parseDouble(args[++i]);
                case "--files" -> files = true;
                case "--zstdchunked" -> conversion = conversion.withFormat(BlobFormat.ZSTD_CHUNKED);
                case "--min-chunk-size" -> minChunkSize = Integer.parseInt(args[++i]);
                case "--chunk-size" -> conversion = conversion.withChunkSize(Integer.parseInt(args[++i]));
                case "--" -> {
                    command = List.of(Arrays.copyOfRange(args, i + 1, args.length));
                    i = args.length;
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        WorkloadFetchBenchmark b = new WorkloadFetchBenchmark(dir.toAbsolutePath(),
                layout != null ? layout : benchLayout(), image, command, runs, rtt, mbit,
                conversion.withMinChunkSize(minChunkSize));
        b.run(budgets, files);
    }

    /** The OCI layout {@code bench/run} built (one directory per version of its build script). */
    private static Path benchLayout() throws IOException {
        Path images = Path.of("bench/.cache/images");
        List<Path> found = new ArrayList<>();
        if (Files.isDirectory(images)) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(images)) {
                for (Path d : ds) {
                    if (Files.exists(d.resolve("layout/index.json"))) {
                        found.add(d.resolve("layout"));
                    }
                }
            }
        }
        if (found.size() != 1) {
            throw new IOException("give --layout DIR: found " + found.size() + " image layouts under "
                    + images.toAbsolutePath() + " (bench/run builds one)");
        }
        return found.get(0);
    }

    private void run(List<Long> budgets, boolean listFiles) throws Exception {
        layers = convert();
        try (RegistryServer registry = RegistryServer.start()) {
            client = RegistryClient.create(RegistryConfig.builder().hostsDir(Path.of("/nonexistent")).build(),
                    CredentialStore.ANONYMOUS);
            repo = ImageReference.parse(registry.host() + "/" + REPO);
            for (BlobContent l : layers) {
                client.pushBlob(repo, l, null);
            }
            System.out.printf(Locale.ROOT, "image %s from %s: %d layers, %.2f MiB as %s"
                    + " (chunk size %d, min chunk size %d); workload: %s (in %s). %d runs per row; medians.%n%n",
                    image, layout, layers.size(),
                    layers.stream().mapToLong(BlobContent::size).sum() / 1048576.0, conversion.format(),
                    conversion.chunkSize(), conversion.minChunkSize(), String.join(" ", command), workDir, runs);
            budgetTable(budgets);
            Run cold = costTable();
            if (listFiles) {
                cold.files().forEach((layer, paths) -> System.out.println("\nlayer " + layer + " served "
                        + paths.size() + " files:\n  " + String.join("\n  ", paths)));
            }
            client.close();
        }
    }

    private void budgetTable(List<Long> budgets) throws Exception {
        System.out.printf(Locale.ROOT, "Cold runs (empty cache). Added by a link: requests x %.0f ms + bytes at"
                + " %.0f Mbit/s.%n%n", rttMs, mbit);
        System.out.println("| neighbour budget KiB | requests | MiB for reads | MiB neighbours | MiB in all"
                + " | loopback s | added by a link s |");
        System.out.println("|---:|---:|---:|---:|---:|---:|---:|");
        for (long kib : budgets) {
            List<Run> rs = new ArrayList<>();
            for (int r = 0; r < runs; r++) {
                rs.add(cold(kib * 1024));
            }
            System.out.printf(Locale.ROOT, "| %d | %.0f | %.2f | %.2f | %.2f | %.3f | %.3f |%n", kib,
                    median(rs, Run::requests), median(rs, Run::onDemandBytes) / 1048576,
                    median(rs, Run::neighbourBytes) / 1048576, median(rs, Run::fetched) / 1048576,
                    median(rs, Run::seconds), median(rs, x -> x.requests() * rttMs / 1000
                            + x.fetched() * 8 / (mbit * 1e6)));
        }
    }

    /** The workload on a local copy, on warm mounts and on cold mounts (default budget), with its FUSE requests. */
    private Run costTable() throws Exception {
        long budget = LayerMountOptions.DEFAULT_NEIGHBOUR_BYTES;
        Path cache = dir.resolve("warm-cache");
        Path local = dir.resolve("local-root");
        clean(cache);
        clean(local);
        List<Run> cold = new ArrayList<>();
        for (int r = 0; r < runs; r++) {
            cold.add(cold(budget));
        }
        Run fill = once(budget, cache, merged -> Command.of("cp", "-a", merged + "/.", local.toString()).run(DEADLINE)
                .orThrow());
        List<Run> warm = new ArrayList<>();
        for (int r = 0; r < runs; r++) {
            warm.add(once(budget, cache, merged -> { }));
        }
        List<Run> plain = new ArrayList<>();
        for (int r = 0; r <= runs; r++) {
            double seconds = workload(local);
            if (r > 0) { // the first run reads the copy into the page cache
                plain.add(new Run(seconds, 0, 0, 0, Map.of(), Map.of()));
            }
        }
        System.out.printf(Locale.ROOT, "%nWhere the workload's time goes (neighbour budget %d KiB). FUSE requests:"
                + " those the layers' mounts served; handlers: the time the binding's Java handlers took for them.%n%n",
                budget / 1024);
        System.out.println("| root | workload s | FUSE requests | ms in handlers | fetch requests |");
        System.out.println("|---|---:|---:|---:|---:|");
        printCost("local copy (page cache)", plain);
        printCost("jstargz, chunks in the disk cache", warm);
        printCost("jstargz, cold (registry on 127.0.0.1)", cold);
        printOperations("warm", warm.get(warm.size() - 1));
        printOperations("cold", cold.get(cold.size() - 1));
        clean(cache);
        clean(local);
        if (fill.requests() == 0) {
            throw new IllegalStateException("the cache-filling run fetched nothing");
        }
        return cold.get(cold.size() - 1);
    }

    private static void printCost(String root, List<Run> rs) {
        System.out.printf(Locale.ROOT, "| %s | %.3f | %.0f | %.1f | %.0f |%n", root, median(rs, Run::seconds),
                median(rs, Run::fuseRequests), median(rs, Run::handlerSeconds) * 1000, median(rs, Run::requests));
    }

    private static void printOperations(String what, Run run) {
        System.out.println("\nFUSE requests of one " + what + " run, all layers:\n");
        System.out.println("| operation | count | ms in handlers | µs per request |");
        System.out.println("|---|---:|---:|---:|");
        run.operations().forEach((op, t) -> System.out.printf(Locale.ROOT, "| %s | %d | %.1f | %.0f |%n", op,
                t.count(), t.nanos() / 1e6, t.nanos() / 1e3 / t.count()));
        System.out.printf(Locale.ROOT, "| all | %d | %.1f | %.0f |%n", run.fuseRequests(),
                run.handlerSeconds() * 1000, run.handlerSeconds() * 1e6 / Math.max(1, run.fuseRequests()));
    }

    /**
     * The image's layers converted once, as {@code jstargz image convert} converts them with the options given (by
     * default eStargz).
     */
    private List<BlobContent> convert() throws IOException {
        JsonNode manifest = null;
        for (JsonNode m : JSON.readTree(layout.resolve("index.json").toFile()).get("manifests")) {
            if (image.equals(m.path("annotations").path("org.opencontainers.image.ref.name").asText())) {
                manifest = JSON.readTree(blob(m.get("digest").asText()).toFile());
            }
        }
        if (manifest == null) {
            throw new IOException("no image tagged " + image + " in " + layout);
        }
        JsonNode config = JSON.readTree(blob(manifest.get("config").get("digest").asText()).toFile()).get("config");
        Map<String, String> environment = new TreeMap<>();
        for (JsonNode e : config.path("Env")) {
            String[] kv = e.asText().split("=", 2);
            environment.put(kv[0], kv.length > 1 ? kv[1] : "");
        }
        env = Map.copyOf(environment);
        workDir = config.path("WorkingDir").asText("").isEmpty() ? "/" : config.path("WorkingDir").asText();
        Path converted = Files.createDirectories(dir.resolve(conversion.format().name().replace(':', '-')
                + (conversion.minChunkSize() > 0 ? "-min" + conversion.minChunkSize() : "")
                + (conversion.chunkSize() != ConvertOptions.defaults().chunkSize() ? "-chunk" + conversion.chunkSize()
                : "")));
        List<BlobContent> out = new ArrayList<>();
        for (JsonNode l : manifest.get("layers")) {
            String digest = l.get("digest").asText();
            Path layerBlob = converted.resolve(digest.substring("sha256:".length()) + ".blob");
            if (!Files.exists(layerBlob)) {
                System.err.println("converting layer " + digest);
                Path tmp = converted.resolve("layer.tmp");
                try (OutputStream o = Files.newOutputStream(tmp)) {
                    new LayerConverter(conversion.withTempDir(converted)).convert(blob(digest), o);
                }
                Files.move(tmp, layerBlob);
            }
            out.add(BlobContent.of(layerBlob));
        }
        return out;
    }

    private Path blob(String digest) {
        return layout.resolve("blobs/sha256").resolve(digest.substring("sha256:".length()));
    }

    /** Something done with the stacked root before it is unmounted. */
    @FunctionalInterface
    private interface RootAction {
        void on(Path merged) throws IOException;
    }

    /** A run from an empty cache. */
    private Run cold(long neighbourBytes) throws Exception {
        Path cache = dir.resolve("cold-cache");
        clean(cache);
        try {
            return once(neighbourBytes, cache, merged -> { });
        } finally {
            clean(cache);
        }
    }

    /** Mounts the layers on {@code cacheDir}, stacks them, runs the workload, counts. */
    private Run once(long neighbourBytes, Path cacheDir, RootAction after) throws Exception {
        Path runDir = dir.resolve("run");
        clean(runDir);
        Path merged = Files.createDirectories(runDir.resolve("merged"));
        Map<Integer, List<String>> files = new TreeMap<>();
        List<LayerMount> mounts = new ArrayList<>();
        try (ChunkCache cache = ChunkCache.open(ChunkCacheConfig.defaults(cacheDir))) {
            try {
                List<String> lower = new ArrayList<>();
                for (int i = 0; i < layers.size(); i++) {
                    List<String> served = Collections.synchronizedList(new ArrayList<>());
                    files.put(i, served);
                    LayerMountOptions options = LayerMountOptions.builder().prefetch(false).backgroundFetch(false)
                            .neighbourBytes(neighbourBytes).accessListener(served::add).build();
                    BlobContent b = layers.get(i);
                    LayerMount m = LayerMount.open(new LayerIdentity(repo.toString(), b.digest().toString()),
                            client.openBlob(repo, b.digest(), b.size()), cache, options);
                    mounts.add(m);
                    m.mount(Files.createDirectories(runDir.resolve("layer-" + i)));
                    lower.add(0, m.mountPoint().toString());
                }
                Command.of(List.of("mount", "-t", "overlay", "overlay", "-o", "lowerdir=" + String.join(":", lower)
                        + ",upperdir=" + Files.createDirectories(runDir.resolve("upper")) + ",workdir="
                        + Files.createDirectories(runDir.resolve("work")), merged.toString())).run(DEADLINE).orThrow();
                double seconds = workload(merged);
                after.on(merged);
                long requests = 0;
                long reads = 0;
                long neighbours = 0;
                OperationStats operations = new OperationStats();
                for (LayerMount m : mounts) {
                    LayerProgress p = m.progress();
                    requests += p.requests();
                    reads += p.onDemandBytes();
                    neighbours += p.neighbourBytes();
                    operations.add(m.operations());
                }
                return new Run(seconds, requests, reads, neighbours, operations.totals(), files);
            } finally {
                FileTrees.detachAllUnder(merged);
                for (LayerMount m : mounts) {
                    m.close();
                }
            }
        }
    }

    /** Runs the workload with {@code root} as its root; returns its wall time in seconds. */
    private double workload(Path root) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("unshare", "--root=" + root, "--wd=" + workDir));
        cmd.addAll(command);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().clear();
        pb.environment().putAll(env);
        long start = System.nanoTime();
        Process p = pb.start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(DEADLINE.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new IOException(cmd + " did not finish within " + DEADLINE);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (p.exitValue() != 0) {
            throw new IOException(cmd + " exited " + p.exitValue() + ":\n" + new String(out, StandardCharsets.UTF_8));
        }
        return seconds;
    }

    private static void clean(Path d) throws IOException {
        FileTrees.detachAllUnder(d);
        Command.of("rm", "-rf", d.toString()).run(DEADLINE).orThrow();
    }

    private static double median(List<Run> rs, ToDoubleFunction<Run> f) {
        double[] v = rs.stream().mapToDouble(f).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }
}
