package io.jstargz.image;

import io.jstargz.cache.ChunkCache;
import io.jstargz.estargz.Entry;
import io.jstargz.estargz.EstargzReader;
import io.jstargz.estargz.LayerIndex;
import io.jstargz.estargz.LayerReader;
import io.jstargz.estargz.OpenOptions;
import io.jstargz.estargz.RemoteBlob;
import io.jstargz.fs.LayerIdentity;
import io.jstargz.fs.LayerMount;
import io.jstargz.fs.LayerMountOptions;
import io.jstargz.process.Command;
import java.io.Closeable;
import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An image's workload run once over its own layers: each layer mounted with jstargz's FUSE filesystem (with an
 * access recorder), the layers stacked with overlayfs (a scratch upper directory on top), the process run by runc
 * in new namespaces for at most a period. {@link #close()} removes the container and unmounts everything, also
 * after a failure.
 */
final class Workload implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(Workload.class);
    static final Path RUNC = Path.of("/usr/sbin/runc");
    private static final Duration COMMAND_DEADLINE = Duration.ofSeconds(60);
    private static final int OUTPUT_KEPT = 16 << 10;

    /** Opens a layer's blob. */
    @FunctionalInterface
    interface BlobOpener {
        RemoteBlob open() throws IOException;
    }

    /** A layer to mount: an eStargz blob and the TOC digest it must have. */
    record Layer(LayerIdentity identity, BlobOpener blob, String tocDigest) {
    }

    /**
     * How the run ended.
     *
     * @param exitCode the workload's exit code, or -1 when it was still running at the end of the period
     * @param elapsed  how long it ran
     * @param output   the end of its output (stdout and stderr)
     */
    record Result(int exitCode, Duration elapsed, String output) {
    }

    private final Path dir;
    private final List<LayerMount> mounts = new ArrayList<>();
    private final List<RemoteBlob> blobs = new ArrayList<>();
    private Path rootfs;

    private Workload(Path dir) {
        this.dir = dir;
    }

    /** Mounts {@code layers} (lowest first) under {@code dir} and stacks them; on failure nothing stays mounted. */
    static Workload mount(Path dir, List<Layer> layers, ChunkCache cache, AccessRecorder recorder)
            throws IOException {
        if (!Files.isExecutable(RUNC)) {
            throw new IOException(RUNC + " is missing: install the Debian package runc");
        }
        if (dir.toAbsolutePath().toString().matches(".*[,:].*")) {
            throw new IOException("the work directory " + dir + " contains ',' or ':', which overlayfs options cannot"
                    + " hold");
        }
        Workload w = new Workload(dir);
        try {
            List<String> lowers = new ArrayList<>();
            for (int i = 0; i < layers.size(); i++) {
                Layer l = layers.get(i);
                LayerMountOptions options = LayerMountOptions.builder().prefetch(false).backgroundFetch(false)
                        .accessListener(recorder.listener(i)).build();
                RemoteBlob blob = l.blob().open();
                LayerMount m;
                try {
                    LayerIndex index = EstargzReader.open(blob, OpenOptions.defaults(l.identity().name())
                            .withExpectedTocDigest(l.tocDigest()));
                    m = LayerMount.open(l.identity(), index, blob, cache, options);
                } catch (IOException | RuntimeException e) {
                    blob.close();
                    throw e;
                }
                w.mounts.add(m);
                w.blobs.add(blob);
                Path at = Files.createDirectories(dir.resolve("layers").resolve(Integer.toString(i)));
                m.mount(at);
                lowers.add(0, at.toAbsolutePath().toString());
            }
            Path upper = Files.createDirectories(dir.resolve("upper"));
            Path work = Files.createDirectories(dir.resolve("overlay-work"));
            Path root = Files.createDirectories(dir.resolve("rootfs"));
            // a single lower directory needs an upper one above it anyway, for the workload's writes
            Command.of("mount", "-t", "overlay", "overlay", "-o", "lowerdir=" + String.join(":", lowers)
                    + ",upperdir=" + upper.toAbsolutePath() + ",workdir=" + work.toAbsolutePath(),
                    root.toAbsolutePath().toString()).run(COMMAND_DEADLINE).orThrow();
            w.rootfs = root;
            return w;
        } catch (IOException | RuntimeException e) {
            try {
                w.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /**
     * A file of the image's final filesystem, read from the layers' blobs (not through the mounts, so that reading
     * it records no access), or null if no layer provides it.
     */
    String readFile(String path) throws IOException {
        String clean = PrioritizedFiles.clean(path);
        String name = clean.substring(clean.lastIndexOf('/') + 1);
        String whiteout = clean.substring(0, clean.length() - name.length()) + ".wh." + name;
        for (int i = mounts.size() - 1; i >= 0; i--) {
            LayerIndex index = mounts.get(i).index();
            Optional<Entry> e = index.lookup(clean);
            if (e.isPresent()) {
                Entry entry = e.get();
                if (!entry.isRegular() || entry.size() > 1 << 20) {
                    return null;
                }
                byte[] bytes = new LayerReader(blobs.get(i), index).read(entry, 0, (int) entry.size());
                return new String(bytes, StandardCharsets.UTF_8);
            }
            if (index.lookup(whiteout).isPresent()) {
                return null;
            }
        }
        return null;
    }

    /** Runs the process with runc, killing it at the end of {@code period}. */
    Result run(RuntimeSpec.Process process, WorkloadSettings settings, Duration period) throws IOException {
        Path bundle = Files.createDirectories(dir.resolve("bundle"));
        Files.write(bundle.resolve("config.json"),
                RuntimeSpec.render(rootfs, process, "jstargz-optimize", settings));
        String runcRoot = Files.createDirectories(dir.resolve("runc")).toAbsolutePath().toString();
        String id = "jstargz-optimize-" + UUID.randomUUID().toString().substring(0, 8);
        Path log = dir.resolve("workload.log");
        LOG.info("running {} in container {} for at most {} s", process.args(), id, period.toSeconds());
        long start = System.nanoTime();
        Process runc = new ProcessBuilder(RUNC.toString(), "--root", runcRoot, "run", "--bundle",
                bundle.toAbsolutePath().toString(), id).redirectInput(new File("/dev/null"))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        int exit = -1;
        try {
            if (runc.waitFor(period.toMillis(), TimeUnit.MILLISECONDS)) {
                exit = runc.exitValue();
            } else {
                LOG.info("the workload still runs after {} s: stopping it", period.toSeconds());
                kill(runcRoot, id);
                if (!runc.waitFor(COMMAND_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)) {
                    runc.destroyForcibly();
                }
            }
        } catch (InterruptedException e) {
            runc.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while the workload ran", e);
        } finally {
            delete(runcRoot, id);
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        return new Result(exit, elapsed, tail(log, OUTPUT_KEPT));
    }

    private static void kill(String runcRoot, String id) {
        try {
            Command.of(RUNC.toString(), "--root", runcRoot, "kill", "--all", id, "KILL").run(COMMAND_DEADLINE)
                    .orThrow();
        } catch (IOException e) {
            // it may have exited just now; delete --force below removes whatever is left
            LOG.debug("runc kill {}: {}", id, e.getMessage());
        }
    }

    private static void delete(String runcRoot, String id) {
        try {
            Command.of(RUNC.toString(), "--root", runcRoot, "delete", "--force", id).run(COMMAND_DEADLINE).orThrow();
        } catch (IOException e) {
            if (!e.getMessage().contains("does not exist")) {
                LOG.warn("removing container {}: {}", id, e.getMessage());
            }
        }
    }

    /** Unmounts the overlay and the layers (lazily if something still holds them). */
    @Override
    public void close() throws IOException {
        IOException failure = null;
        if (rootfs != null) {
            try {
                Command.of("umount", rootfs.toAbsolutePath().toString()).run(COMMAND_DEADLINE).orThrow();
            } catch (IOException e) {
                LOG.warn("unmounting {} failed, detaching it instead: {}", rootfs, e.getMessage());
                try {
                    Command.of("umount", "-l", rootfs.toAbsolutePath().toString()).run(COMMAND_DEADLINE).orThrow();
                } catch (IOException lazy) {
                    failure = lazy;
                }
            }
            rootfs = null;
        }
        for (int i = mounts.size() - 1; i >= 0; i--) {
            try {
                mounts.get(i).close();
            } catch (IOException e) {
                failure = failure == null ? e : failure;
            }
        }
        mounts.clear();
        if (failure != null) {
            throw failure;
        }
    }

    /** The last {@code max} bytes of a file, as text. */
    private static String tail(Path file, int max) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long from = Math.max(0, ch.size() - max);
            ByteBuffer buf = ByteBuffer.allocate((int) (ch.size() - from));
            int n = 0;
            while (buf.hasRemaining() && n >= 0) {
                n = ch.read(buf, from + buf.position());
            }
            return new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8).strip();
        }
    }
}
