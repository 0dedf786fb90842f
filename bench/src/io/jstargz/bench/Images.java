package io.jstargz.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jstargz.process.Command;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Builds the images once (bench/images/build.sh into an OCI layout under {@code bench/.cache/images/<key>}, the key
 * being a hash of the build script) and puts each variant into the registry once (the registry's storage is cached
 * too; a marker per variant records which build it came from). Conversions run on a plain containerd.
 */
final class Images {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration BUILD_DEADLINE = Duration.ofMinutes(30);

    private final Path repo;
    private final Path layout;
    private final Path buildDir;
    private final Path storage;
    private final Path markers;
    private final String key;
    private final Sandbox sandbox;

    Images(Path repo, Path cache, Path registryStorage, Sandbox sandbox) throws IOException {
        this.repo = repo;
        this.key = sha256(Files.readAllBytes(repo.resolve("bench/images/build.sh"))).substring(0, 12);
        this.buildDir = cache.resolve("images").resolve(key);
        this.layout = buildDir.resolve("layout");
        this.storage = registryStorage;
        this.markers = registryStorage.resolve("jstargz-bench-pushed");
        this.sandbox = sandbox;
    }

    /** The repository path of {@code image} in the registry, e.g. {@code bench/python}. */
    static String repository(BenchImage image) {
        return "bench/" + image.id;
    }

    /** Makes sure {@code variant} of {@code image} is in the registry. */
    void ensure(BenchImage image, Variant variant) throws IOException, InterruptedException {
        Path marker = markers.resolve(image.id + "-" + variant.tag);
        String made = madeBy(variant);
        if (Files.exists(marker) && Files.readString(marker).equals(made)) {
            return;
        }
        if (variant != Variant.LEGACY) {
            ensure(image, Variant.LEGACY);
        }
        String src = ref(image, Variant.LEGACY);
        String dst = ref(image, variant);
        switch (variant.converter) {
            case NONE -> push(image, dst);
            case CTR_REMOTE -> convertWithCtrRemote(image, variant, src, dst);
            case JSTARGZ -> convertWithJstargz(image, variant, src, dst);
        }
        Files.createDirectories(markers);
        Files.writeString(marker, made);
    }

    /** What a variant in the registry was made from: the image build, and jstargz's build for its conversions. */
    private String madeBy(Variant variant) throws IOException {
        if (variant.converter != Variant.Converter.JSTARGZ) {
            return key;
        }
        return key + " " + sha256(Files.readAllBytes(repo.resolve("tools/target/jstargz.jar"))).substring(0, 12);
    }

    private String ref(BenchImage image, Variant variant) {
        return sandbox.registryHost() + "/" + repository(image) + ":" + variant.tag;
    }

    private void push(BenchImage image, String dst) throws IOException {
        build(image);
        System.err.println("bench: pushing " + dst);
        Command.of("skopeo", "copy", "--quiet", "--preserve-digests", "--dest-tls-verify=false",
                "oci:" + layout + ":" + image.id, "docker://" + dst).run(BUILD_DEADLINE).orThrow();
    }

    private void build(BenchImage image) throws IOException {
        if (image.onDebianBase()) {
            buildTag("base");
        }
        buildTag(image.id);
    }

    private void buildTag(String tag) throws IOException {
        Path done = buildDir.resolve(tag + ".done");
        if (Files.exists(done)) {
            return;
        }
        removeOtherBuilds();
        System.err.println("bench: building image " + tag + " in " + layout + " (cached for later runs)");
        Command.of(repo.resolve("bench/images/build.sh").toString(), tag, layout.toString(),
                buildDir.resolve("work").toString()).run(BUILD_DEADLINE).orThrow();
        Files.writeString(done, key);
    }

    /** Builds by an earlier version of build.sh are not used any more. */
    private void removeOtherBuilds() throws IOException {
        try (var dirs = Files.list(buildDir.getParent())) {
            for (Path d : dirs.filter(d -> !d.equals(buildDir)).toList()) {
                Command.of("rm", "-rf", d.toString()).run(Duration.ofMinutes(5)).orThrow();
            }
        } catch (java.nio.file.NoSuchFileException e) {
            // nothing built yet
        }
    }

    private void convertWithCtrRemote(BenchImage image, Variant variant, String src, String dst)
            throws IOException, InterruptedException {
        System.err.println("bench: converting " + src + " to " + dst + " with ctr-remote");
        ContainerdService c = sandbox.startPlainContainerd();
        c.ctr("image", "pull", "--hosts-dir", c.hostsDir(), src);
        List<String> args = new ArrayList<>(List.of("image", "optimize", "--oci"));
        if (variant.optimized) {
            args.addAll(List.of("--entrypoint", JSON.writeValueAsString(image.workload.subList(0, 1)),
                    "--args", JSON.writeValueAsString(image.workload.subList(1, image.workload.size()))));
        } else {
            args.add("--no-optimize");
        }
        args.addAll(List.of(src, dst));
        c.ctrRemote(args.toArray(String[]::new));
        c.ctr("image", "push", "--hosts-dir", c.hostsDir(), dst);
    }

    private void convertWithJstargz(BenchImage image, Variant variant, String src, String dst) throws IOException {
        System.err.println("bench: converting " + src + " to " + dst + " with jstargz");
        List<String> cmd = new ArrayList<>(List.of(repo.resolve("bin/jstargz").toString(), "image",
                variant.optimized ? "optimize" : "convert", "--progress=plain",
                "--hosts-dir=" + sandbox.hostsDir(), src, dst));
        if (variant.optimized) {
            cmd.add("--");
            cmd.addAll(image.workload);
        }
        Command.of(cmd).run(BUILD_DEADLINE).orThrow();
    }

    /** Whether this build of jstargz can convert images ({@code jstargz image convert}). */
    boolean jstargzConverts() throws IOException {
        return Daemons.hasCommand(repo, "image", "convert");
    }

    /**
     * A variant as the registry stores it.
     *
     * @param files           its manifest(s), config and layer blobs in the registry's storage
     * @param compressedBytes the layers' size
     * @param layers          how many layers
     */
    record Stored(List<Path> files, long compressedBytes, int layers) {
    }

    Stored stored(BenchImage image, Variant variant) throws IOException {
        Path repoDir = storage.resolve("docker/registry/v2/repositories").resolve(repository(image));
        Path link = repoDir.resolve("_manifests/tags").resolve(variant.tag).resolve("current/link");
        List<Path> files = new ArrayList<>();
        files.add(blob(storage, Files.readString(link).trim()));
        JsonNode manifest = JSON.readTree(files.get(0).toFile());
        if (manifest.has("manifests")) {
            files.add(blob(storage, manifest.get("manifests").get(0).get("digest").asText()));
            manifest = JSON.readTree(files.get(1).toFile());
        }
        files.add(blob(storage, manifest.get("config").get("digest").asText()));
        long total = 0;
        for (JsonNode l : manifest.get("layers")) {
            total += l.get("size").asLong();
            files.add(blob(storage, l.get("digest").asText()));
        }
        return new Stored(List.copyOf(files), total, manifest.get("layers").size());
    }

    private static Path blob(Path storage, String digest) {
        String hex = digest.substring("sha256:".length());
        return storage.resolve("docker/registry/v2/blobs/sha256").resolve(hex.substring(0, 2)).resolve(hex)
                .resolve("data");
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
