package io.jstargz.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * A single-platform OCI image written as an OCI image layout directory ({@code oci-layout}, {@code index.json},
 * {@code blobs/sha256/...}), with gzip layers; can be exported as a tar for {@code ctr images import}.
 *
 * @param dir            the layout directory
 * @param name           the full reference, e.g. {@code test/bb:latest} (the index's ref.name annotation)
 * @param manifestDigest digest of the manifest
 * @param layerDigests   digests of the compressed layers, lowest first
 * @param diffIds        digests of the uncompressed layers, lowest first
 */
public record OciImage(Path dir, String name, String manifestDigest, List<String> layerDigests,
                       List<String> diffIds) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Writes the layout for {@code layers} (lowest first) into {@code dir}; {@code cmd} is the default command. */
    public static OciImage write(Path dir, String name, List<LayerBuilder> layers, List<String> cmd)
            throws IOException {
        Files.createDirectories(dir.resolve("blobs/sha256"));
        List<String> diffIds = new ArrayList<>();
        List<Map<String, Object>> layerDescriptors = new ArrayList<>();
        List<String> layerDigests = new ArrayList<>();
        for (LayerBuilder layer : layers) {
            byte[] tar = layer.tar();
            diffIds.add(digest(tar));
            byte[] gz = LayerBuilder.gzip(tar);
            String d = blob(dir, gz);
            layerDigests.add(d);
            layerDescriptors.add(descriptor("application/vnd.oci.image.layer.v1.tar+gzip", d, gz.length));
        }
        Map<String, Object> config = ordered(
                "created", LayerBuilder.MTIME.toString(),
                "architecture", architecture(),
                "os", "linux",
                "config", ordered("Env", List.of("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
                        "Cmd", cmd),
                "rootfs", ordered("type", "layers", "diff_ids", diffIds));
        byte[] configBytes = JSON.writeValueAsBytes(config);
        Map<String, Object> manifest = ordered(
                "schemaVersion", 2,
                "mediaType", "application/vnd.oci.image.manifest.v1+json",
                "config", descriptor("application/vnd.oci.image.config.v1+json", blob(dir, configBytes),
                        configBytes.length),
                "layers", layerDescriptors);
        byte[] manifestBytes = JSON.writeValueAsBytes(manifest);
        String manifestDigest = blob(dir, manifestBytes);
        Map<String, Object> m = descriptor("application/vnd.oci.image.manifest.v1+json", manifestDigest,
                manifestBytes.length);
        m.put("annotations", ordered("org.opencontainers.image.ref.name", name));
        Files.write(dir.resolve("index.json"), JSON.writeValueAsBytes(ordered("schemaVersion", 2,
                "manifests", List.of(m))));
        Files.write(dir.resolve("oci-layout"), JSON.writeValueAsBytes(ordered("imageLayoutVersion", "1.0.0")));
        return new OciImage(dir, name, manifestDigest, layerDigests, diffIds);
    }

    /** The layout as one tar archive, the form {@code ctr images import} reads. */
    public Path exportTar(Path tarFile) throws IOException {
        try (OutputStream out = Files.newOutputStream(tarFile); TarArchiveOutputStream tar = new TarArchiveOutputStream(out);
             Stream<Path> files = Files.walk(dir)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (Path p : files.filter(Files::isRegularFile).sorted().toList()) {
                TarArchiveEntry e = new TarArchiveEntry(dir.relativize(p).toString());
                e.setSize(Files.size(p));
                e.setModTime(java.util.Date.from(LayerBuilder.MTIME));
                tar.putArchiveEntry(e);
                Files.copy(p, tar);
                tar.closeArchiveEntry();
            }
        }
        return tarFile;
    }

    private static String blob(Path dir, byte[] data) throws IOException {
        String d = digest(data);
        Files.write(dir.resolve("blobs/sha256").resolve(d.substring("sha256:".length())), data);
        return d;
    }

    private static Map<String, Object> descriptor(String mediaType, String digest, long size) {
        return ordered("mediaType", mediaType, "digest", digest, "size", size);
    }

    private static Map<String, Object> ordered(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    /** {@code sha256:<hex>} of {@code data}. */
    public static String digest(byte[] data) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String architecture() {
        String arch = System.getProperty("os.arch");
        return switch (arch) {
            case "amd64", "x86_64" -> "amd64";
            case "aarch64", "arm64" -> "arm64";
            default -> arch;
        };
    }
}
