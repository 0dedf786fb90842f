package io.jstargz.fs;

import io.jstargz.concurrent.BackgroundGate;
import io.jstargz.estargz.Entry;
import io.jstargz.mount.FileTrees;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whole copies of a layer's regular files on local disk, for FUSE passthrough: the kernel reads a copy itself and
 * never asks the daemon. A copy is made of a file whose chunks are all in the cache (each verified when it was
 * fetched), once, in the background, when an open finds none: that open is served by the daemon, later ones pass
 * through. Copies live in a directory of the mount's own, named by inode (hardlinks share one), written under a
 * temporary name and renamed into place; the directory goes when the mount closes. They take disk space beside the
 * chunk cache: a cached chunk's file starts with a header, so the kernel cannot be handed it as the file.
 * <p>
 * A copy waits for the background gate, as the background fetch does: while a container starts, it opens each of
 * its files once or twice, the daemon serves those reads from the cache at little cost, and copying the same files
 * beside it only took CPU and disk from the start (the python benchmark's run phase, all bytes prefetched: 427 ms
 * with copies made at once, 359 ms with them deferred).
 */
final class FileCopies {
    private static final Logger log = LoggerFactory.getLogger(FileCopies.class);
    private static final int COPY_BUFFER = 1 << 20;

    private final Path parent;
    private final String layer;
    private final ChunkFetcher fetcher;
    private final SpanStore store;
    private final Executor executor;
    private final BackgroundGate gate;
    private final ConcurrentHashMap<Long, CompletableFuture<Path>> copies = new ConcurrentHashMap<>();
    private volatile Path dir;
    private volatile boolean closed;

    /**
     * Copies go to a new directory under {@code parent}, made by tasks on {@code executor} once {@code gate} is open.
     */
    FileCopies(Path parent, String layer, ChunkFetcher fetcher, SpanStore store, Executor executor,
               BackgroundGate gate) {
        this.parent = parent;
        this.layer = layer;
        this.fetcher = fetcher;
        this.store = store;
        this.executor = executor;
        this.gate = gate;
    }

    /** The copy of regular file {@code e} if it is ready, else null; starts making it if the file is all local. */
    Path ready(Entry e) {
        CompletableFuture<Path> f = copies.get(e.inode());
        if (f == null && isLocal(e)) {
            f = copy(e);
        }
        return f != null && f.isDone() && !f.isCompletedExceptionally() ? f.join() : null;
    }

    /** The copy of regular file {@code e}, made if needed; fails if some chunk of the file is not local. */
    CompletableFuture<Path> copy(Entry e) {
        if (!isLocal(e)) {
            return CompletableFuture.failedFuture(new IOException("layer " + layer + ": \"" + e.path()
                    + "\" is not all local, no copy is made"));
        }
        return copies.computeIfAbsent(e.inode(), k -> {
            try {
                return CompletableFuture.supplyAsync(() -> write(e), executor);
            } catch (RejectedExecutionException closing) {
                return CompletableFuture.failedFuture(closing);
            }
        });
    }

    /** Whether every chunk of {@code e} is in the cache (checked without reading them). */
    private boolean isLocal(Entry e) {
        SpanTable table = store.table();
        int first = table.firstChunk(e);
        for (int g = first; g < first + e.chunkCount(); g++) {
            if (!store.isCached(table.spanOf(g))) {
                return false;
            }
        }
        return true;
    }

    private Path write(Entry e) {
        Path tmp = null;
        try {
            awaitGate();
            Path d = directory();
            tmp = d.resolve("tmp-" + e.inode());
            byte[] buf = new byte[(int) Math.min(COPY_BUFFER, Math.max(1, e.size()))];
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                for (long off = 0; off < e.size(); ) {
                    int n = fetcher.read(e, off, (int) Math.min(buf.length, e.size() - off),
                            (at, src, srcOffset, length) -> System.arraycopy(src, srcOffset, buf, at, length));
                    ByteBuffer b = ByteBuffer.wrap(buf, 0, n);
                    while (b.hasRemaining()) {
                        out.write(b);
                    }
                    off += n;
                }
            }
            if (closed) {
                throw new IOException("the layer was closed");
            }
            Path copy = d.resolve(Long.toString(e.inode()));
            Files.move(tmp, copy, StandardCopyOption.ATOMIC_MOVE);
            return copy;
        } catch (IOException | RuntimeException ex) {
            if (!closed) {
                log.warn("layer {}: cannot make a local copy of \"{}\" for passthrough (the daemon serves it): {}",
                        layer, e.path(), ex.getMessage());
            }
            deleteQuietly(tmp);
            throw new IllegalStateException(ex.getMessage(), ex);
        }
    }

    private void awaitGate() throws IOException {
        try {
            gate.awaitOpen();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for the background gate", e);
        }
    }

    private synchronized Path directory() throws IOException {
        if (dir == null) {
            Files.createDirectories(parent);
            dir = Files.createTempDirectory(parent, layer.replace('/', '_') + "-");
        }
        return dir;
    }

    /** Removes the copies (files opened through them keep their content until closed). */
    void close() {
        closed = true;
        Path d = dir;
        if (d != null) {
            try {
                FileTrees.removeTree(d);
            } catch (IOException e) {
                log.warn("layer {}: cannot remove the local copies in {}: {}", layer, d, e.getMessage());
            }
        }
    }

    private static void deleteQuietly(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // the directory goes when the mount closes
            }
        }
    }
}
