package io.jstargz.image.containerd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.jstargz.estargz.Annotations;
import io.jstargz.image.proto.diff.ApplyRequest;
import io.jstargz.image.proto.diff.DiffGrpc;
import io.jstargz.image.proto.images.CreateImageRequest;
import io.jstargz.image.proto.images.Image;
import io.jstargz.image.proto.images.ImagesGrpc;
import io.jstargz.image.proto.images.UpdateImageRequest;
import io.jstargz.remote.Descriptor;
import io.jstargz.remote.Digest;
import io.jstargz.remote.ImageIndex;
import io.jstargz.remote.ImageManifest;
import io.jstargz.remote.ImageReference;
import io.jstargz.remote.ManifestContent;
import io.jstargz.remote.Platform;
import io.jstargz.remote.RegistryClient;
import io.jstargz.snapshotter.proto.types.Mount;
import io.jstargz.snapshotter.snapshot.LayerRequest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Pulls an image into containerd for a remote snapshotter, as {@code ctr-remote image rpull} does, step by step as
 * containerd's own client pulls and unpacks:
 *
 * <ol>
 *   <li>a lease, so that nothing written is garbage-collected before the image record holds it;</li>
 *   <li>the index (if any), the platform's manifest and its config into the content store, with the
 *       {@code containerd.io/gc.ref.*} labels that tie them together and keep the snapshots;</li>
 *   <li>each layer, lowest first: Prepare on the snapshotter with the labels that name the image and layer. The
 *       snapshotter answers ALREADY_EXISTS when it has mounted the layer from the registry; otherwise the layer
 *       falls back: its blob goes into the content store, containerd's diff service applies it onto the Prepare's
 *       mounts (its result must be the config's diff ID) and the snapshot is committed under the chain ID;</li>
 *   <li>the image record, then the lease is released.</li>
 * </ol>
 *
 * <p>Everything goes through containerd's API (not the snapshotter's socket), so containerd's metadata knows every
 * snapshot and blob, exactly as after {@code ctr-remote image rpull}.
 */
public final class ImagePull {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long CALL_SECONDS = 60;
    /** Applying a layer unpacks it: allow for a big one. */
    private static final long APPLY_SECONDS = 1800;
    /** A pull that dies leaves its lease; containerd drops it (and what only it holds) after this. */
    private static final Duration LEASE_EXPIRY = Duration.ofHours(24);

    private final ContainerdConnection containerd;
    private final RegistryClient registry;
    private final String snapshotter;
    private final Consumer<String> events;

    /**
     * @param events one line per step a user follows (each layer's outcome)
     */
    public ImagePull(ContainerdConnection containerd, RegistryClient registry, String snapshotter,
                     Consumer<String> events) {
        this.containerd = containerd;
        this.registry = registry;
        this.snapshotter = snapshotter;
        this.events = events;
    }

    /** Pulls {@code ref} for {@code platform} (used when it names an index) into the connection's namespace. */
    public PulledImage pull(ImageReference ref, Platform platform) throws IOException {
        // the lease first: an unreachable containerd is found before anything is fetched
        try (Lease lease = Lease.create(containerd, LEASE_EXPIRY)) {
            ManifestContent root = registry.getManifest(ref);
            ManifestContent manifestContent = root;
            int indexEntry = -1;
            if (root.isIndex()) {
                ImageIndex index = root.index();
                Descriptor chosen = index.select(platform);
                indexEntry = index.manifests().indexOf(chosen);
                manifestContent = registry.getManifest(ref.withDigest(chosen.digest()));
            }
            ImageManifest manifest = manifestContent.manifest();
            byte[] config;
            try (InputStream in = registry.fetchBlob(ref, manifest.config().digest(), manifest.config().size())) {
                config = in.readAllBytes();
            }
            List<String> diffIds = diffIds(ref, manifest, config);
            List<String> chainIds = chainIds(diffIds);

            ContentStore content = new ContentStore(containerd, lease.id());
            if (root.isIndex()) {
                content.put(root.descriptor(), new ByteArrayInputStream(root.bytes()),
                        Map.of("containerd.io/gc.ref.content.m." + indexEntry, manifestContent.digest().toString()));
            }
            content.put(manifestContent.descriptor(), new ByteArrayInputStream(manifestContent.bytes()),
                    manifestGcLabels(manifest));
            // the image's config holds its unpacked snapshots, as containerd's unpacker labels it
            Map<String, String> configLabels = chainIds.isEmpty() ? Map.of()
                    : Map.of("containerd.io/gc.ref.snapshot." + snapshotter, chainIds.get(chainIds.size() - 1));
            content.put(manifest.config(), new ByteArrayInputStream(config), configLabels);

            List<PulledImage.Layer> layers = unpack(ref, manifest, diffIds, chainIds, lease.id(), content);
            record(ref.toString(), root.descriptor());
            return new PulledImage(ref.toString(), root.descriptor(), manifestContent.descriptor(), layers);
        }
    }

    /** The labels by which a manifest holds its config and layers in containerd's content store. */
    private static Map<String, String> manifestGcLabels(ImageManifest manifest) {
        Map<String, String> labels = new HashMap<>();
        labels.put("containerd.io/gc.ref.content.config", manifest.config().digest().toString());
        for (int i = 0; i < manifest.layers().size(); i++) {
            labels.put("containerd.io/gc.ref.content.l." + i, manifest.layers().get(i).digest().toString());
        }
        return labels;
    }

    private List<PulledImage.Layer> unpack(ImageReference ref, ImageManifest manifest, List<String> diffIds,
                                           List<String> chainIds, String leaseId, ContentStore content)
            throws IOException {
        Snapshots snapshots = new Snapshots(containerd, leaseId, snapshotter);
        DiffGrpc.DiffBlockingStub diff = containerd.leased(DiffGrpc.newBlockingStub(containerd.channel()), leaseId);
        List<String> layerDigests = manifest.layers().stream().map(l -> l.digest().toString()).toList();
        List<PulledImage.Layer> out = new ArrayList<>();
        String parent = "";
        for (int i = 0; i < manifest.layers().size(); i++) {
            Descriptor layer = manifest.layers().get(i);
            String chainId = chainIds.get(i);
            String name = "layer " + i + " (" + layer.digest() + ")";
            PulledImage.Outcome outcome;
            if (snapshots.exists(chainId)) {
                outcome = PulledImage.Outcome.PRESENT;
            } else {
                String key = "extract-" + UUID.randomUUID() + "-" + chainId;
                Map<String, String> labels = LayerRequest.pullLabels(chainId, ref.toString(),
                        layer.digest().toString(), layerDigests, layer.annotation(Annotations.TOC_DIGEST));
                Optional<List<Mount>> mounts = snapshots.prepare(key, parent, labels);
                if (mounts.isEmpty()) {
                    outcome = PulledImage.Outcome.REMOTE;
                } else {
                    boolean committed = false;
                    try {
                        events.accept(name + " was not mounted lazily (jstargz status says why): downloading "
                                + layer.size() + " bytes and unpacking it");
                        try (InputStream in = registry.fetchBlob(ref, layer.digest(), layer.size())) {
                            content.put(layer, in, Map.of());
                        }
                        apply(diff, name, layer, mounts.get(), diffIds.get(i));
                        snapshots.commit(chainId, key);
                        committed = true;
                    } finally {
                        if (!committed) {
                            snapshots.removeQuietly(key);
                        }
                    }
                    outcome = PulledImage.Outcome.UNPACKED;
                }
            }
            events.accept(name + ": " + switch (outcome) {
                case REMOTE -> "mounted lazily (remote snapshot)";
                case UNPACKED -> "unpacked";
                case PRESENT -> "already there";
            });
            out.add(new PulledImage.Layer(layer, chainId, outcome));
            parent = chainId;
        }
        return out;
    }

    private void apply(DiffGrpc.DiffBlockingStub diff, String name, Descriptor layer, List<Mount> mounts,
                       String diffId) throws IOException {
        String applied;
        try {
            applied = diff.withDeadlineAfter(APPLY_SECONDS, TimeUnit.SECONDS).apply(ApplyRequest.newBuilder()
                    .setDiff(io.jstargz.image.proto.types.Descriptor.newBuilder().setMediaType(layer.mediaType())
                            .setDigest(layer.digest().toString()).setSize(layer.size()))
                    .addAllMounts(mounts).build()).getApplied().getDigest();
        } catch (StatusRuntimeException e) {
            throw containerd.failed("applying " + name, e);
        }
        if (!applied.equals(diffId)) {
            throw new IOException(name + " unpacked to " + applied + ", but the image's config says its diff ID is "
                    + diffId);
        }
    }

    /** The config's {@code rootfs.diff_ids}, one per layer. */
    private static List<String> diffIds(ImageReference ref, ImageManifest manifest, byte[] config)
            throws IOException {
        JsonNode diffIds;
        try {
            diffIds = JSON.readTree(config).path("rootfs").path("diff_ids");
        } catch (IOException e) {
            throw new IOException(ref + ": config " + manifest.config().digest() + " is not JSON: " + e.getMessage(),
                    e);
        }
        if (!diffIds.isArray() || diffIds.size() != manifest.layers().size()) {
            throw new IOException(ref + ": the manifest has " + manifest.layers().size() + " layers but its config "
                    + manifest.config().digest() + " lists " + diffIds.size() + " rootfs.diff_ids");
        }
        List<String> out = new ArrayList<>();
        diffIds.forEach(d -> out.add(Digest.parse(d.asText()).toString()));
        return out;
    }

    /** The OCI chain IDs: the first layer's diff ID, then sha256 of "parent-chain-ID diff-ID". */
    static List<String> chainIds(List<String> diffIds) {
        List<String> out = new ArrayList<>();
        for (String diffId : diffIds) {
            out.add(out.isEmpty() ? diffId : Digest.sha256((out.get(out.size() - 1) + " " + diffId)
                    .getBytes(StandardCharsets.UTF_8)).toString());
        }
        return out;
    }

    /** Creates the image record, or points an existing one at {@code target}. */
    private void record(String name, Descriptor target) throws IOException {
        ImagesGrpc.ImagesBlockingStub images = containerd.stub(ImagesGrpc.newBlockingStub(containerd.channel()))
                .withDeadlineAfter(CALL_SECONDS, TimeUnit.SECONDS);
        Image image = Image.newBuilder().setName(name).setTarget(io.jstargz.image.proto.types.Descriptor.newBuilder()
                .setMediaType(target.mediaType()).setDigest(target.digest().toString()).setSize(target.size()))
                .build();
        try {
            images.create(CreateImageRequest.newBuilder().setImage(image).build());
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() != Status.Code.ALREADY_EXISTS) {
                throw containerd.failed("creating image " + name, e);
            }
            try {
                images.update(UpdateImageRequest.newBuilder().setImage(image).build());
            } catch (StatusRuntimeException u) {
                throw containerd.failed("updating image " + name, u);
            }
        }
    }
}
