package io.jstargz.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jstargz.estargz.Annotations;
import io.jstargz.estargz.BlobFormat;
import io.jstargz.estargz.EstargzReader;
import io.jstargz.estargz.FileBlobSource;
import io.jstargz.estargz.LayerIndex;
import io.jstargz.estargz.LayerStreams;
import io.jstargz.estargz.LayerVerifier;
import io.jstargz.estargz.OpenOptions;
import io.jstargz.estargz.TocEntry;
import io.jstargz.estargz.TocJsonParser;
import io.jstargz.remote.Descriptor;
import io.jstargz.remote.Digest;
import io.jstargz.remote.ImageManifest;
import io.jstargz.remote.MediaTypes;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/** Reads images in OCI layouts and checks converted ones. */
final class ImageChecks {

    /** An image manifest in a layout, with its config. */
    record LayoutImage(Path dir, Digest digest, ImageManifest manifest, JsonNode config) {
        Path blob(Descriptor d) {
            return dir.resolve("blobs/sha256").resolve(d.digest().hex());
        }

        List<String> diffIds() {
            List<String> out = new ArrayList<>();
            config.path("rootfs").path("diff_ids").forEach(n -> out.add(n.asText()));
            return out;
        }
    }

    /** One tar entry as compared: type, mode, owner, size, link target and content hash. */
    record FileSummary(char type, long mode, long uid, long gid, long size, String link, String sha256) {
    }

    private ImageChecks() {
    }

    /** The single image manifest tagged {@code tag} in the layout (following an index to its only entry). */
    static LayoutImage image(Path dir, String tag) throws IOException {
        Descriptor d = new OciLayoutDir(dir).find(tag);
        return image(dir, d.digest());
    }

    static LayoutImage image(Path dir, Digest manifest) throws IOException {
        byte[] bytes = Files.readAllBytes(dir.resolve("blobs/sha256").resolve(manifest.hex()));
        JsonNode node = Json.MAPPER.readTree(bytes);
        if (node.has("manifests")) {
            assertEquals(1, node.get("manifests").size(), "one platform expected in " + manifest);
            return image(dir, Digest.parse(node.get("manifests").get(0).get("digest").asText()));
        }
        ImageManifest m = Json.read(node, ImageManifest.class, "manifest");
        JsonNode config = Json.MAPPER.readTree(dir.resolve("blobs/sha256").resolve(m.config().digest().hex()).toFile());
        return new LayoutImage(dir, manifest, m, config);
    }

    /**
     * Checks a converted image: OCI media types, each layer's annotations match its TOC and size, every chunk
     * verifies, the config's diffIDs are the layers' uncompressed digests; returns each layer's TOC index.
     */
    static List<LayerIndex> checkEstargz(LayoutImage image) throws IOException {
        return checkLayers(image, BlobFormat.ESTARGZ);
    }

    /** {@link #checkEstargz} for an image whose layers are all of {@code format}. */
    static List<LayerIndex> checkLayers(LayoutImage image, BlobFormat format) throws IOException {
        assertEquals(MediaTypes.OCI_CONFIG, image.manifest().config().mediaType());
        List<LayerIndex> out = new ArrayList<>();
        List<String> diffIds = image.diffIds();
        assertEquals(image.manifest().layers().size(), diffIds.size());
        for (int i = 0; i < image.manifest().layers().size(); i++) {
            Descriptor layer = image.manifest().layers().get(i);
            assertEquals(Manifests.layerMediaType(format), layer.mediaType());
            String toc = layer.annotation(Annotations.TOC_DIGEST);
            assertNotNull(toc, "layer " + i + " has a TOC digest annotation");
            try (FileBlobSource blob = FileBlobSource.open(image.blob(layer))) {
                assertEquals(layer.size(), blob.size());
                LayerIndex index = EstargzReader.open(blob, OpenOptions.defaults("layer " + i)
                        .withExpectedTocDigest(toc));
                assertEquals(format, index.format());
                LayerVerifier.verify(blob, index, null);
                out.add(index);
            }
            long[] uncompressed = new long[1];
            assertEquals(diffIds.get(i), uncompressedDigest(image.blob(layer), uncompressed), "diffID of layer " + i);
            assertEquals(Long.toString(uncompressed[0]), layer.annotation(Annotations.UNCOMPRESSED_SIZE));
        }
        return out;
    }

    /** sha256 of the decompressed blob; its length goes into {@code size[0]}. */
    static String uncompressedDigest(Path blob, long[] size) throws IOException {
        MessageDigest sha = Digest.newSha256();
        try (InputStream in = new DigestInputStream(LayerStreams.plainTar(Files.newInputStream(blob)), sha)) {
            size[0] = in.transferTo(java.io.OutputStream.nullOutputStream());
        }
        return "sha256:" + HexFormat.of().formatHex(sha.digest());
    }

    /** The entries of a layer blob (tar, tar.gz or tar.zst) by normalised path, landmarks and TOC left out. */
    static Map<String, FileSummary> files(Path blob) throws IOException {
        Map<String, FileSummary> out = new TreeMap<>();
        try (InputStream raw = Files.newInputStream(blob)) {
            TarArchiveInputStream tar = new TarArchiveInputStream(LayerStreams.plainTar(raw));
            for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
                String name = PrioritizedFiles.clean(e.getName());
                if (name.isEmpty() || name.equals(".prefetch.landmark") || name.equals(".no.prefetch.landmark")
                        || name.equals("stargz.index.json")) {
                    continue;
                }
                MessageDigest sha = Digest.newSha256();
                try (InputStream body = new DigestInputStream(tar, sha) {
                    @Override
                    public void close() {
                    }
                }) {
                    body.transferTo(java.io.OutputStream.nullOutputStream());
                }
                char type = (char) (e.isSymbolicLink() ? '2' : e.isLink() ? '1' : e.isDirectory() ? '5' : '0');
                out.put(name, new FileSummary(type, e.getMode() & 07777, e.getLongUserId(), e.getLongGroupId(),
                        e.getSize(), e.getLinkName(), HexFormat.of().formatHex(sha.digest())));
            }
        }
        return out;
    }

    /** Asserts the converted image's layers hold the same files as the original's, layer by layer. */
    static void assertSameFiles(LayoutImage original, LayoutImage converted) throws IOException {
        assertEquals(original.manifest().layers().size(), converted.manifest().layers().size());
        for (int i = 0; i < original.manifest().layers().size(); i++) {
            Map<String, FileSummary> before = files(original.blob(original.manifest().layers().get(i)));
            Map<String, FileSummary> after = files(converted.blob(converted.manifest().layers().get(i)));
            assertTrue(!before.isEmpty(), "layer " + i + " has files");
            assertEquals(before, after, "files of layer " + i);
        }
    }

    /** The raw TOC entries of an eStargz or zstd:chunked blob. */
    static List<TocEntry> toc(Path blob) throws IOException {
        byte[] bytes = Files.readAllBytes(blob);
        ByteBuffer footer = ByteBuffer.wrap(bytes, bytes.length - 40, 40).order(ByteOrder.LITTLE_ENDIAN);
        if (Arrays.equals(Arrays.copyOfRange(bytes, bytes.length - 8, bytes.length), "GnUlInUx".getBytes())) {
            // zstd:chunked: the TOC JSON is a zstd frame at the footer's offset
            int offset = (int) footer.getLong();
            int length = (int) footer.getLong();
            try (InputStream json = LayerStreams.plainTar(new ByteArrayInputStream(bytes, offset, length))) {
                return TocJsonParser.parse(json.readAllBytes(), blob.toString());
            }
        }
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(blob), 1 << 16)) {
            TarArchiveInputStream tar = new TarArchiveInputStream(new GzipCompressorInputStream(raw, true));
            for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
                if (e.getName().equals("stargz.index.json")) {
                    return TocJsonParser.parse(tar.readAllBytes(), blob.toString());
                }
            }
        }
        throw new AssertionError(blob + " has no stargz.index.json");
    }

    /** The paths before {@code .prefetch.landmark} in a layer's TOC, in order. */
    static List<String> prioritized(Path blob) throws IOException {
        List<String> out = new ArrayList<>();
        for (TocEntry e : toc(blob)) {
            if (e.name().equals(".prefetch.landmark")) {
                return out;
            }
            if (e.type().equals("reg")) {
                out.add(PrioritizedFiles.clean(e.name()));
            }
        }
        throw new AssertionError(blob + " has no .prefetch.landmark");
    }
}
