package io.jstargz.fs;

import io.jstargz.cache.ChunkCache;
import io.jstargz.cache.ChunkCacheConfig;
import io.jstargz.estargz.ConvertOptions;
import io.jstargz.estargz.FileBlobSource;
import io.jstargz.estargz.LayerConverter;
import io.jstargz.fs.binding.FuseBinding;
import io.jstargz.fs.binding.FuseBindings;
import io.jstargz.testing.Processes;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Metadata through FUSE, per binding, in one run: a layer of many small files in a tree, mounted from a local blob.
 * <ul>
 *   <li>walk: {@code find -printf '%s'} (every name listed and stat'ed) on a fresh mount, so the kernel knows nothing
 *   yet: directory listings and lookups reach the binding;</li>
 *   <li>stat storm: python's {@code os.stat} of every file, on a mount with zero cache timeouts so that each stat
 *   reaches the binding (a lookup and a getattr): the per-request cost of the transport.</li>
 * </ul>
 * Prints a markdown table of the median of {@code --runs} runs. Run by {@code bench/fuse --metadata}.
 *
 * <p>Options: {@code --dirs N} (100), {@code --files N} per directory (200), {@code --runs N} (5), {@code --dir DIR}
 * (bench/.cache/fuse-metadata), {@code --bindings LIST} (kernel,jnr).
 */
public final class FuseMetadataBenchmark {
    private static final String STAT_ALL = String.join("\n",
            "import os, sys, time",
            "paths = open(sys.argv[1]).read().split('\\n')[:-1]",
            "start = time.perf_counter()",
            "for p in paths:",
            "    os.stat(p)",
            "print(time.perf_counter() - start)");

    private final Path dir;
    private final int dirs;
    private final int files;
    private final int runs;

    private FuseMetadataBenchmark(Path dir, int dirs, int files, int runs) {
        this.dir = dir;
        this.dirs = dirs;
        this.files = files;
        this.runs = runs;
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of("bench/.cache/fuse-metadata");
        int dirs = 100;
        int files = 200;
        int runs = 5;
        String bindings = "kernel,jnr";
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--dir" -> dir = Path.of(args[i + 1]);
                case "--dirs" -> dirs = Integer.parseInt(args[i + 1]);
                case "--files" -> files = Integer.parseInt(args[i + 1]);
                case "--runs" -> runs = Integer.parseInt(args[i + 1]);
                case "--bindings" -> bindings = args[i + 1];
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        FuseMetadataBenchmark b = new FuseMetadataBenchmark(dir.toAbsolutePath(), dirs, files, runs);
        b.run(Stream.of(bindings.split(",")).map(n -> FuseBindings.create(FuseBindings.Choice.of(n))).toList());
    }

    private void run(List<FuseBinding> bindings) throws Exception {
        Path layer = prepareLayer();
        int entries = dirs * files;
        System.out.printf("%d files in %d directories; median of %d runs%n%n", entries, dirs, runs);
        System.out.println("| binding | walk, fresh mount (ms) | walk (entries/s) | stat storm, zero timeouts (ms)"
                + " | µs per stat |");
        System.out.println("|---|---:|---:|---:|---:|");
        for (FuseBinding binding : bindings) {
            double[] walk = new double[runs];
            double[] storm = new double[runs];
            for (int r = 0; r < runs; r++) {
                walk[r] = walk(layer, binding);
                storm[r] = storm(layer, binding);
            }
            double w = median(walk);
            double s = median(storm);
            System.out.printf(Locale.ROOT, "| %s | %.0f | %.0f | %.0f | %.1f |%n", binding.name(), w * 1e3,
                    (entries + dirs) / w, s * 1e3, s * 1e6 / entries);
        }
    }

    /** Seconds {@code find} takes to list and stat the whole tree on a fresh mount. */
    private double walk(Path layer, FuseBinding binding) throws Exception {
        try (ChunkCache cache = openCache(); LayerMount m = mount(layer, binding,
                LayerMountOptions.defaults().cacheTimeout(), cache)) {
            long start = System.nanoTime();
            String out = exec(List.of("find", m.mountPoint().toString(), "-printf", "%s\\n"));
            double seconds = (System.nanoTime() - start) / 1e9;
            long lines = out.chars().filter(c -> c == '\n').count();
            if (lines != (long) dirs * files + dirs + 1) {
                throw new IllegalStateException("find listed " + lines + " entries");
            }
            return seconds;
        }
    }

    /** Seconds python takes to stat every file once, each stat reaching the binding (zero timeouts). */
    private double storm(Path layer, FuseBinding binding) throws Exception {
        try (ChunkCache cache = openCache(); LayerMount m = mount(layer, binding, Duration.ZERO, cache)) {
            Path list = dir.resolve("paths.txt");
            StringBuilder b = new StringBuilder();
            for (int d = 0; d < dirs; d++) {
                for (int f = 0; f < files; f++) {
                    b.append(m.mountPoint().resolve(name(d, f))).append('\n');
                }
            }
            Files.writeString(list, b);
            return Double.parseDouble(exec(List.of("python3", "-c", STAT_ALL, list.toString())).trim());
        }
    }

    private ChunkCache openCache() throws IOException {
        Path cacheDir = dir.resolve("cache");
        FuseReadBenchmark.deleteTree(cacheDir);
        return ChunkCache.open(ChunkCacheConfig.defaults(cacheDir));
    }

    private LayerMount mount(Path layer, FuseBinding binding, Duration timeout, ChunkCache cache) throws IOException {
        LayerMountOptions options = LayerMountOptions.builder().prefetch(false).backgroundFetch(false)
                .cacheTimeout(timeout).binding(binding).build();
        LayerMount m = LayerMount.open(LayerIdentity.ofFile(layer), FileBlobSource.open(layer), cache, options);
        m.mount(Files.createDirectories(dir.resolve("mnt")));
        return m;
    }

    private static String name(int d, int f) {
        return String.format(Locale.ROOT, "d%03d/f%05d.txt", d, f);
    }

    /** A tree of small text files, tarred and converted to eStargz (reused across runs). */
    private Path prepareLayer() throws IOException, InterruptedException {
        Path layer = dir.resolve("layer-" + dirs + "x" + files + ".esgz");
        if (Files.exists(layer)) {
            return layer;
        }
        Path tree = dir.resolve("tree");
        FuseReadBenchmark.deleteTree(tree);
        for (int d = 0; d < dirs; d++) {
            Files.createDirectories(tree.resolve(String.format(Locale.ROOT, "d%03d", d)));
            for (int f = 0; f < files; f++) {
                Files.writeString(tree.resolve(name(d, f)), "file " + d + "/" + f + "\n");
            }
        }
        Path tar = dir.resolve("layer.tar");
        exec(List.of("tar", "-C", tree.toString(), "-cf", tar.toString(), "."));
        try (OutputStream out = Files.newOutputStream(layer)) {
            new LayerConverter(ConvertOptions.defaults().withTempDir(dir)).convert(tar, out);
        }
        Files.delete(tar);
        FuseReadBenchmark.deleteTree(tree);
        return layer;
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v[v.length / 2];
    }

    private static String exec(List<String> command) throws IOException {
        return Processes.run(command, Duration.ofMinutes(30)).orThrow();
    }
}
