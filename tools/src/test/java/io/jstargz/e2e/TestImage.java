package io.jstargz.e2e;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jstargz.estargz.Annotations;
import io.jstargz.estargz.ConvertOptions;
import io.jstargz.estargz.ConvertResult;
import io.jstargz.estargz.LayerConverter;
import io.jstargz.remote.BlobContent;
import io.jstargz.remote.Descriptor;
import io.jstargz.remote.Digest;
import io.jstargz.remote.ImageManifest;
import io.jstargz.remote.ImageReference;
import io.jstargz.remote.MediaTypes;
import io.jstargz.remote.RegistryClient;
import io.jstargz.testing.BusyboxImage;
import io.jstargz.testing.Containerd;
import io.jstargz.testing.LayerBuilder;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The end-to-end test image: busybox-static and two small layers (one deleting a file of the other with a
 * whiteout), pushed as an image with eStargz layers (each annotated with its TOC digest, as converters do) or with
 * plain gzip layers.
 *
 * @param ref          the pushed reference
 * @param layerDigests the layer blobs' digests, lowest first
 */
record TestImage(String ref, List<String> layerDigests) {
    /** What {@link #COMMAND} prints in a container of this image: a line each for its three reads. */
    static final String OUTPUT = "hello from layer 2\nhello.txt\nlayer 3\n";
    /**
     * A command, and what it prints in a container of this image. It reads everything before it prints, and exits
     * with 1 unless what it read is what the layers hold ({@link #OUTPUT}): its exit status, which reaches {@code ctr}
     * apart from the output's stream, says whether the files were served whole.
     */
    static final List<String> COMMAND = List.of("sh", "-c", "h=$(cat /data/hello.txt); l=$(ls /data); "
            + "m=$(cat /etc/motd); echo \"$h\"; echo \"$l\"; echo \"$m\"; "
            + "[ \"$h\n$l\n$m\n\" = '" + OUTPUT + "' ]");

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Runs {@link #COMMAND} in a container of this image on the jstargz snapshotter; what it printed.
     *
     * <p>{@code ctr run} now and then loses the end of a short-lived container's output: seen on containerd 1.6 and
     * 2.1, stdout cut short (or empty) with the workload's exit status 0, which {@link #COMMAND} gives only when it
     * read every file whole (a failed or short read fails the run). Such a run, and only such a run, is made once
     * more; a wrong or longer output, or a second cut, is returned as it is.
     */
    String run(Containerd containerd, String namespace, String container) throws Exception {
        List<String> args = new ArrayList<>(List.of("run", "--rm", "--snapshotter", Containerd.SNAPSHOTTER, ref,
                container));
        args.addAll(COMMAND);
        String out = containerd.ctr(namespace, args.toArray(String[]::new)).orThrow();
        if (out.length() < OUTPUT.length() && OUTPUT.startsWith(out)) {
            System.err.println("ctr run " + container + ": output cut short (\"" + out + "\"), running it again");
            out = containerd.ctr(namespace, args.toArray(String[]::new)).orThrow();
        }
        return out;
    }

    private static List<LayerBuilder> layers() throws IOException {
        return List.of(BusyboxImage.baseLayer(),
                new LayerBuilder().file("data/hello.txt", "hello from layer 2\n").file("data/gone.txt", "gone\n"),
                new LayerBuilder().whiteout("data/gone.txt").file("etc/motd", "layer 3\n"));
    }

    /** Pushes the image with eStargz layers; {@code bin/busybox} is prioritized (prefetched at mount). */
    static TestImage pushEstargz(RegistryClient client, String ref) throws IOException {
        return pushEstargz(client, ref, layers(), List.of("bin/busybox"));
    }

    /** Pushes an image of {@code layers} converted to eStargz, with {@code prioritized} files (may be none). */
    static TestImage pushEstargz(RegistryClient client, String ref, List<LayerBuilder> layers,
                                 List<String> prioritized) throws IOException {
        ImageReference r = ImageReference.parse(ref);
        List<Descriptor> descriptors = new ArrayList<>();
        List<String> diffIds = new ArrayList<>();
        for (LayerBuilder layer : layers) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ConvertResult c = new LayerConverter(ConvertOptions.defaults().withPrioritizedFiles(prioritized))
                    .convert(new ByteArrayInputStream(layer.tar()), out);
            BlobContent blob = BlobContent.of(out.toByteArray());
            client.pushBlob(r, blob, null);
            descriptors.add(new Descriptor(MediaTypes.OCI_LAYER_GZIP, blob.digest(), blob.size(), List.of(),
                    Map.of(Annotations.TOC_DIGEST, c.tocDigest(), Annotations.UNCOMPRESSED_SIZE,
                            Long.toString(c.uncompressedSize())), null));
            diffIds.add(c.diffId());
        }
        return push(client, r, descriptors, diffIds);
    }

    /** Pushes the image with ordinary gzip layers. */
    static TestImage pushGzip(RegistryClient client, String ref) throws IOException {
        ImageReference r = ImageReference.parse(ref);
        List<Descriptor> descriptors = new ArrayList<>();
        List<String> diffIds = new ArrayList<>();
        for (LayerBuilder layer : layers()) {
            byte[] tar = layer.tar();
            BlobContent blob = BlobContent.of(LayerBuilder.gzip(tar));
            client.pushBlob(r, blob, null);
            descriptors.add(Descriptor.of(MediaTypes.OCI_LAYER_GZIP, blob.digest(), blob.size()));
            diffIds.add(Digest.sha256(tar).toString());
        }
        return push(client, r, descriptors, diffIds);
    }

    /** The digests of the blobs in containerd's content store ({@code ctr content ls}, first column). */
    static List<String> contentDigests(Containerd containerd, String namespace) throws IOException {
        return containerd.ctr(namespace, "content", "ls", "-q").orThrow().lines().map(String::trim)
                .filter(l -> !l.isEmpty()).toList();
    }

    private static TestImage push(RegistryClient client, ImageReference ref, List<Descriptor> layers,
                                  List<String> diffIds) throws IOException {
        ObjectNode config = JSON.createObjectNode().put("architecture", "amd64").put("os", "linux");
        config.putObject("config").putPOJO("Env", List.of("PATH=/bin")).putPOJO("Cmd", List.of("sh"));
        config.putObject("rootfs").put("type", "layers").putPOJO("diff_ids", diffIds);
        byte[] configBytes = JSON.writeValueAsBytes(config);
        BlobContent configBlob = BlobContent.of(configBytes);
        client.pushBlob(ref, configBlob, null);
        ImageManifest manifest = new ImageManifest(2, MediaTypes.OCI_MANIFEST,
                Descriptor.of(MediaTypes.OCI_CONFIG, configBlob.digest(), configBytes.length), layers, Map.of());
        client.putManifest(ref, MediaTypes.OCI_MANIFEST, JSON.writeValueAsBytes(manifest));
        return new TestImage(ref.toString(), layers.stream().map(d -> d.digest().toString()).toList());
    }
}
