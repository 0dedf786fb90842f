package io.jstargz.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jstargz.estargz.RemoteBlob;
import io.jstargz.remote.BlobContent;
import io.jstargz.remote.Descriptor;
import io.jstargz.remote.Digest;
import io.jstargz.remote.ManifestContent;
import io.jstargz.remote.MediaTypes;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarFile;

/**
 * Reads an image from a {@code docker save} archive: {@code manifest.json} names the config and the layer files
 * (uncompressed tars, or compressed ones in newer archives), in the archive's own tar. The image is presented as a
 * Docker v2 schema 2 manifest. An uncompressed layer's digest is its diffID from the config (checked while it is
 * read); a compressed layer is hashed when the archive is opened.
 */
final class DockerArchiveSource implements ImageSource {
    /** Where one file lies inside the archive. */
    private record Window(String name, long offset, long size) {
    }

    private final Path file;
    private final FileChannel channel;
    private final ManifestContent root;
    private final byte[] config;
    private final Map<Digest, Window> layers;

    private DockerArchiveSource(Path file, FileChannel channel, ManifestContent root, byte[] config,
                                Map<Digest, Window> layers) {
        this.file = file;
        this.channel = channel;
        this.root = root;
        this.config = config;
        this.layers = layers;
    }

    /** Opens the archive; {@code ref} picks one of several images by its {@code RepoTags}. */
    static DockerArchiveSource open(Path file, String ref) throws IOException {
        Map<String, Window> files = new HashMap<>();
        try (TarFile tar = new TarFile(file)) {
            for (TarArchiveEntry e : tar.getEntries()) {
                String name = clean(e.getName());
                if (e.isFile() && !e.isSparse()) {
                    files.put(name, new Window(name, e.getDataOffset(), e.getSize()));
                } else if (e.isSymbolicLink()) {
                    // older docker versions link a repeated layer to its first copy
                    String dir = name.contains("/") ? name.substring(0, name.lastIndexOf('/') + 1) : "";
                    files.put(name, new Window(clean(dir + e.getLinkName()), -1, -1));
                }
            }
        }
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
        try {
            return load(file, channel, files, ref);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private static DockerArchiveSource load(Path file, FileChannel channel, Map<String, Window> files, String ref)
            throws IOException {
        String where = "docker-archive:" + file;
        JsonNode images = Json.MAPPER.readTree(readAll(channel, find(file, files, "manifest.json")));
        if (images == null || !images.isArray() || images.isEmpty()) {
            throw new IOException(where + ": manifest.json lists no image");
        }
        JsonNode image = select(where, (ArrayNode) images, ref);
        byte[] config = readAll(channel, find(file, files, image.path("Config").asText()));
        Digest configDigest = Digest.sha256(config);
        JsonNode diffIds = Json.object(config, where + ": config").path("rootfs").path("diff_ids");
        JsonNode layerFiles = image.path("Layers");
        if (!layerFiles.isArray() || layerFiles.size() != diffIds.size()) {
            throw new IOException(where + ": manifest.json lists " + layerFiles.size() + " layers but the config "
                    + "has " + diffIds.size() + " diff_ids");
        }
        ObjectNode manifest = Json.MAPPER.createObjectNode();
        manifest.put("schemaVersion", 2).put("mediaType", MediaTypes.DOCKER_MANIFEST);
        manifest.set("config", Json.tree(Descriptor.of(MediaTypes.DOCKER_CONFIG, configDigest, config.length)));
        ArrayNode layerNodes = manifest.putArray("layers");
        Map<Digest, Window> layers = new HashMap<>();
        for (int i = 0; i < layerFiles.size(); i++) {
            Window w = find(file, files, layerFiles.get(i).asText());
            boolean gzip = isGzip(channel, w);
            Digest digest = gzip ? hash(channel, w) : Digest.parse(diffIds.get(i).asText());
            layers.put(digest, w);
            layerNodes.add(Json.tree(Descriptor.of(gzip ? MediaTypes.DOCKER_LAYER_GZIP : Manifests.DOCKER_LAYER,
                    digest, w.size())));
        }
        byte[] bytes = Json.bytes(manifest);
        ManifestContent root = new ManifestContent(MediaTypes.DOCKER_MANIFEST, Digest.sha256(bytes), bytes);
        return new DockerArchiveSource(file, channel, root, config, layers);
    }

    private static JsonNode select(String where, ArrayNode images, String ref) throws IOException {
        List<String> tags = new ArrayList<>();
        for (JsonNode image : images) {
            for (JsonNode tag : image.path("RepoTags")) {
                if (tag.asText().equals(ref)) {
                    return image;
                }
                tags.add(tag.asText());
            }
        }
        if (ref == null && images.size() == 1) {
            return images.get(0);
        }
        throw new IOException(where + (ref == null ? " holds " + images.size() + " images; name one of " + tags
                : " has no image tagged " + ref + "; it has " + tags));
    }

    private static Window find(Path file, Map<String, Window> files, String name) throws IOException {
        Window w = files.get(clean(name));
        for (int hops = 0; w != null && w.offset() == -1 && hops < 8; hops++) {
            w = files.get(w.name());
        }
        if (w == null || w.offset() < 0) {
            throw new IOException("docker-archive:" + file + " has no file " + name);
        }
        return w;
    }

    private static String clean(String name) {
        String n = name.startsWith("./") ? name.substring(2) : name;
        return n.startsWith("/") ? n.substring(1) : n;
    }

    private static boolean isGzip(FileChannel channel, Window w) throws IOException {
        if (w.size() < 2) {
            return false;
        }
        ByteBuffer magic = ByteBuffer.allocate(2);
        channel.read(magic, w.offset());
        return (magic.get(0) & 0xff) == 0x1f && (magic.get(1) & 0xff) == 0x8b;
    }

    private static Digest hash(FileChannel channel, Window w) throws IOException {
        MessageDigest sha = Digest.newSha256();
        try (InputStream in = new DigestInputStream(stream(channel, w, 0), sha)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return Digest.fromHash("sha256", sha.digest());
    }

    private static byte[] readAll(FileChannel channel, Window w) throws IOException {
        if (w.size() > Manifests.MAX_DOCUMENT_SIZE) {
            throw new IOException(w.name() + " in the docker archive is too large (" + w.size() + " bytes)");
        }
        try (InputStream in = stream(channel, w, 0)) {
            return in.readAllBytes();
        }
    }

    private static InputStream stream(FileChannel channel, Window w, long from) {
        return new BufferedInputStream(Channels.newInputStream(new WindowChannel(channel, w.offset() + from,
                w.size() - from)), 1 << 16);
    }

    private Window blob(Descriptor d) throws IOException {
        Window w = layers.get(d.digest());
        if (w == null) {
            throw new IOException(this + " has no layer " + d.digest());
        }
        return w;
    }

    @Override
    public ManifestContent root() {
        return root;
    }

    @Override
    public ManifestContent manifest(Descriptor descriptor) throws IOException {
        throw new IOException(this + " holds no index; there is no manifest " + descriptor.digest());
    }

    @Override
    public byte[] readBlob(Descriptor descriptor) throws IOException {
        if (descriptor.digest().matches(config)) {
            return config.clone();
        }
        throw new IOException(this + " has no config "
                + descriptor.digest());
    }

    @Override
    public InputStream openBlob(Descriptor descriptor) throws IOException {
        return stream(channel, blob(descriptor), 0);
    }

    @Override
    public RemoteBlob randomAccess(Descriptor descriptor) throws IOException {
        Window w = blob(descriptor);
        String name = this + "!" + w.name();
        return new RemoteBlob() {
            @Override
            public long size() {
                return w.size();
            }

            @Override
            public byte[] read(long offset, int length) throws IOException {
                if (offset < 0 || length < 0 || offset > w.size() - length) {
                    throw new EOFException(name + ": range [" + offset + ", " + (offset + length)
                            + ") is outside the blob of " + w.size() + " bytes");
                }
                byte[] out = new byte[length];
                ByteBuffer buf = ByteBuffer.wrap(out);
                while (buf.hasRemaining()) {
                    if (channel.read(buf, w.offset() + offset + buf.position()) < 0) {
                        throw new EOFException(name + ": archive shrank");
                    }
                }
                return out;
            }

            @Override
            public String toString() {
                return name;
            }
        };
    }

    @Override
    public BlobContent content(Descriptor descriptor) throws IOException {
        Window w = blob(descriptor);
        return BlobContent.of(descriptor.digest(), w.size(), offset -> stream(channel, w, offset));
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    @Override
    public String toString() {
        return "docker-archive:" + file;
    }
}
