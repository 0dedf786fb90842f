package io.jstargz.snapshotter.fs;

import io.jstargz.estargz.BlobTail;
import io.jstargz.estargz.Footer;
import io.jstargz.estargz.LayerIndex;
import io.jstargz.estargz.OpenOptions;
import io.jstargz.remote.Digest;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TOCs of mounted layers on disk, each as the {@link BlobTail} that holds it,
 * {@code <root>/layers/<algorithm>-<hex>.tail}, one per layer digest: what a restart needs to mount the layers again
 * with the registry unreachable. Written atomically (a temporary file renamed into place), so a crash leaves the old
 * file, the new one, or none.
 */
final class TocStore {
    private static final Logger LOG = LoggerFactory.getLogger(TocStore.class);
    private static final byte[] MAGIC = {'J', 'S', 'T', 'Z', 'T', 'A', 'I', 'L'};
    private static final int VERSION = 1;

    private final Path dir;

    TocStore(Path dir) throws IOException {
        this.dir = Files.createDirectories(dir);
    }

    private Path file(Digest digest) {
        return dir.resolve(digest.algorithm() + "-" + digest.hex() + ".tail");
    }

    /** The stored tail of {@code digest}; empty when there is none or it is unreadable (then it is deleted). */
    Optional<BlobTail> load(Digest digest) {
        Path f = file(digest);
        try (InputStream raw = Files.newInputStream(f); DataInputStream in = new DataInputStream(raw)) {
            byte[] magic = in.readNBytes(MAGIC.length);
            if (!Arrays.equals(magic, MAGIC) || in.readInt() != VERSION) {
                throw new IOException("not a layer tail file");
            }
            long blobSize = in.readLong();
            long offset = in.readLong();
            long length = blobSize - offset;
            if (offset < 0 || length <= 0 || length != Files.size(f) - MAGIC.length - 4 - 16) {
                throw new IOException("sizes do not add up: blob " + blobSize + ", offset " + offset);
            }
            byte[] bytes = in.readNBytes((int) length);
            if (bytes.length != length) {
                throw new EOFException("truncated");
            }
            return Optional.of(new BlobTail(blobSize, offset, bytes));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            LOG.warn("discarding the stored tail of layer {} ({}): {}", digest, f, e.getMessage());
            delete(digest);
            return Optional.empty();
        }
    }

    /**
     * The part of what opening a layer fetched that a later open needs: from the TOC (or the largest footer) to the
     * end; only the footer for a layer whose TOC is external (a later open fetches it again).
     */
    static BlobTail tocOf(BlobTail fetched, LayerIndex index) {
        long size = fetched.blobSize();
        long toc = index.tocOffset() == Footer.EXTERNAL ? size - index.format().footerSize() : index.tocOffset();
        return fetched.from(Math.min(toc, size - Footer.MAX_SIZE));
    }

    /** How to open the index from a stored tail: one read of exactly its bytes. */
    static OpenOptions openOptions(BlobTail stored, String layer) {
        return OpenOptions.defaults(layer).withTailSize(Math.max(Footer.MAX_SIZE, stored.bytes().length));
    }

    /**
     * Keeps the TOC of mounted layer {@code digest} for restarts, unless it is kept already; a failure is logged (a
     * restart then opens the layer from the registry again).
     */
    void keep(Digest digest, BlobTail toc) {
        if (has(digest)) {
            return;
        }
        try {
            store(digest, toc);
        } catch (IOException e) {
            LOG.warn("layer {}: cannot store its TOC for restarts: {}", digest, e.getMessage());
        }
    }

    /** Whether a tail of {@code digest} is stored. */
    boolean has(Digest digest) {
        return Files.exists(file(digest));
    }

    /** Stores the tail of {@code digest}, replacing any stored before. */
    void store(Digest digest, BlobTail tail) throws IOException {
        Path target = file(digest);
        Path tmp = Files.createTempFile(dir, ".tail-", ".tmp");
        try {
            try (OutputStream raw = Files.newOutputStream(tmp); DataOutputStream out = new DataOutputStream(raw)) {
                out.write(MAGIC);
                out.writeInt(VERSION);
                out.writeLong(tail.blobSize());
                out.writeLong(tail.offset());
                out.write(tail.bytes());
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Removes the stored tail of {@code digest}, if any; failures are logged. */
    void delete(Digest digest) {
        try {
            Files.deleteIfExists(file(digest));
        } catch (IOException e) {
            LOG.warn("cannot delete the stored tail of layer {}: {}", digest, e.getMessage());
        }
    }
}
