package io.jstargz.cli;

import io.jstargz.cache.ChunkCache;
import io.jstargz.cache.ChunkCacheConfig;
import io.jstargz.estargz.Annotations;
import io.jstargz.estargz.EstargzReader;
import io.jstargz.estargz.FileBlobSource;
import io.jstargz.estargz.LayerIndex;
import io.jstargz.estargz.OpenOptions;
import io.jstargz.estargz.RemoteBlob;
import io.jstargz.fs.LayerIdentity;
import io.jstargz.fs.LayerMount;
import io.jstargz.fs.LayerMountOptions;
import io.jstargz.fs.binding.FuseBindings;
import io.jstargz.fs.LayerProgress;
import io.jstargz.remote.Descriptor;
import io.jstargz.remote.Digest;
import io.jstargz.remote.ImageReference;
import io.jstargz.remote.RegistryClient;
import io.jstargz.remote.RegistryConfig;
import io.jstargz.remote.ResolvedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code jstargz mount}: mounts one eStargz layer read-only at a directory, lazily, and serves it in the foreground
 * until interrupted (or unmounted from outside), then unmounts cleanly.
 */
@Command(name = "mount", mixinStandardHelpOptions = true,
        description = {"Mount one eStargz layer read-only at DIR and serve it until interrupted (Ctrl-C).",
            "  jstargz mount --blob FILE DIR",
            "  jstargz mount IMAGE-REF --layer DIGEST|INDEX DIR",
            "Files are fetched when read; --debug logs every filesystem operation with its latency."})
final class MountCommand implements Callable<Integer> {

    @Parameters(arity = "1..2", paramLabel = "[IMAGE-REF] DIR",
            description = "The image (unless --blob is given) and the empty directory to mount at.")
    List<String> arguments;

    @Option(names = "--blob", paramLabel = "FILE", description = "Mount a local eStargz blob.")
    Path blob;

    @Option(names = "--layer", paramLabel = "DIGEST|INDEX",
            description = "The image's layer: its digest, or its position in the manifest (0 is the lowest).")
    String layer;

    @Option(names = "--cache-dir", paramLabel = "DIR", defaultValue = "/var/lib/jstargz/cache",
            description = "Chunk cache directory, shared with the daemon (default: ${DEFAULT-VALUE}).")
    Path cacheDir;

    @Option(names = "--toc-digest", paramLabel = "DIGEST",
            description = "Refuse the layer unless its TOC has this digest (default for an image layer: its "
                    + Annotations.TOC_DIGEST + " annotation).")
    String tocDigest;

    @Option(names = "--no-prefetch", description = "Do not fetch the prioritized files at mount.")
    boolean noPrefetch;

    @Option(names = "--no-background-fetch", description = "Do not fetch the rest of the layer in the background.")
    boolean noBackgroundFetch;

    @Option(names = "--fuse-binding", paramLabel = "auto|kernel|jnr", defaultValue = "auto",
            description = "How to serve FUSE: the kernel protocol on /dev/fuse (JDK 22+, root), jnr-fuse, or auto"
                    + " (the first where it can run). Default: ${DEFAULT-VALUE}.")
    String fuseBinding;

    @Option(names = "--neighbour-bytes", paramLabel = "BYTES",
            description = "A read that misses a small file also fetches the small files stored after it in its"
                    + " directory, up to BYTES compressed, in the same request; 0 turns it off"
                    + " (default: ${DEFAULT-VALUE}, as the daemon's fetch.neighbour_bytes).")
    long neighbourBytes = LayerMountOptions.DEFAULT_NEIGHBOUR_BYTES;

    @ParentCommand
    Main main;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Target target = target();
        PrintWriter out = spec.commandLine().getOut();
        LayerMountOptions options = LayerMountOptions.builder().prefetch(!noPrefetch)
                .backgroundFetch(!noBackgroundFetch).neighbourBytes(neighbourBytes)
                .debug(main.debug).binding(FuseBindings.create(FuseBindings.Choice.of(fuseBinding))).build();
        try (RegistryClient client = target.image == null ? null : RegistryClient.create(RegistryConfig.defaults());
             ChunkCache cache = ChunkCache.open(ChunkCacheConfig.defaults(cacheDir))) {
            LayerMount mount = open(target, tocDigest, client, cache, options);
            // Ctrl-C or SIGTERM: unmount, and finish the cache's disk writes, before the JVM halts
            Thread unmountOnExit = new Thread(() -> {
                closeQuietly(mount);
                cache.close();
            }, "jstargz-mount-exit");
            Runtime.getRuntime().addShutdownHook(unmountOnExit);
            try (mount) {
                mount.mount(target.dir);
                out.printf("mounted %s at %s (%d entries, %d bytes, FUSE binding %s); Ctrl-C unmounts%n",
                        mount.identity().name(), mount.mountPoint(), mount.index().entryCount(),
                        mount.index().blobSize(), options.binding().name());
                out.flush();
                mount.unmounted().get();
                LayerProgress p = mount.progress();
                out.printf("unmounted %s (%d of %d bytes local)%n", mount.mountPoint(), p.fetchedBytes(),
                        p.layerSize());
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(unmountOnExit);
                } catch (IllegalStateException exiting) {
                    // the hook is running: it unmounts
                }
            }
        }
        return 0;
    }

    /** What to mount where: a local blob file, or an image's layer. */
    private record Target(Path dir, Path blob, ImageReference image, String layer) {
    }

    private Target target() {
        boolean local = blob != null;
        int expected = local ? 1 : 2;
        if (arguments.size() != expected || local && layer != null || !local && layer == null) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "give either --blob FILE DIR, or IMAGE-REF --layer DIGEST|INDEX DIR (got "
                            + (blob == null ? "" : "--blob " + blob + " ") + (layer == null ? "" : "--layer " + layer
                            + " ") + String.join(" ", arguments) + ")");
        }
        Path dir = Path.of(arguments.get(arguments.size() - 1));
        return local ? new Target(dir, blob, null, null)
                : new Target(dir, null, ImageReference.parse(arguments.get(0)), layer);
    }

    /** Opens the layer, checking its TOC against {@code tocDigest} or else its image's annotation, if any. */
    private static LayerMount open(Target target, String tocDigest, RegistryClient client, ChunkCache cache,
                                   LayerMountOptions options) throws IOException {
        LayerIdentity identity;
        RemoteBlob source;
        String expected = tocDigest;
        if (target.blob != null) {
            identity = LayerIdentity.ofFile(target.blob);
            source = FileBlobSource.open(target.blob);
        } else {
            ResolvedImage image = client.resolve(target.image);
            Descriptor layer = pick(image, target.layer);
            if (expected == null) {
                expected = layer.annotation(Annotations.TOC_DIGEST);
            }
            identity = new LayerIdentity(image.reference().toString(), layer.digest().toString());
            source = client.openBlob(image.reference(), layer);
        }
        try {
            LayerIndex index = EstargzReader.open(source, OpenOptions.defaults(identity.name())
                    .withExpectedTocDigest(expected));
            return LayerMount.open(identity, index, source, cache, options);
        } catch (IOException | RuntimeException e) {
            source.close();
            throw e;
        }
    }

    /** The layer named by a digest or by its index in the manifest. */
    static Descriptor pick(ResolvedImage image, String which) throws IOException {
        List<Descriptor> layers = image.manifest().layers();
        if (which.matches("\\d+")) {
            int i = Integer.parseInt(which);
            if (i >= layers.size()) {
                throw new IOException(image.reference() + " has " + layers.size() + " layers; there is no layer " + i
                        + " (0 is the lowest)");
            }
            return layers.get(i);
        }
        return image.manifest().layer(Digest.parse(which));
    }

    private static void closeQuietly(LayerMount mount) {
        try {
            mount.close();
        } catch (IOException e) {
            System.err.println("jstargz: " + e.getMessage());
        }
    }
}
