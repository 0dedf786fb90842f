package io.jstargz.cache;

import io.jstargz.concurrent.Threads;
import io.jstargz.text.Sizes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.EOFException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The disk tier: one file per chunk ({@link ChunkFile} format, {@link DiskLayout} paths), bounded in bytes with
 * least-recently-used eviction ({@link DiskIndex}), and keeping a {@link FreeSpaceWatermark} on its filesystem: each
 * write first evicts what the filesystem lacks, and a tier opened on a filesystem under its watermark evicts before
 * {@link #open} returns, so a daemon starting on a full disk has room for its database.
 *
 * <p>Another process may share the directory: files are written to a unique temp name and renamed into place, a
 * file that disappears (evicted by the other process) is a miss, and a file that appears (written by it) is adopted
 * into this process's index when read. The byte bound is kept per process index.
 */
final class DiskStore {

    private static final Logger log = LoggerFactory.getLogger(DiskStore.class);
    /** How stale a file's modification time may get before a use refreshes it. */
    private static final long PERSIST_ACCESS_MILLIS = 60_000;

    private final DiskLayout layout;
    private final DiskIndex index;
    private final long capacity;
    private final FileStore fileStore;
    private final FreeSpaceWatermark minFree;
    private final CacheCounters counters;
    private final AtomicBoolean writesFailing = new AtomicBoolean();
    private final AtomicBoolean belowWatermark = new AtomicBoolean();
    private final CompletableFuture<Void> indexed = new CompletableFuture<>();

    private DiskStore(DiskLayout layout, long capacity, FreeSpaceWatermark minFree, CacheCounters counters)
            throws IOException {
        this.layout = layout;
        this.index = new DiskIndex(capacity);
        this.capacity = capacity;
        this.fileStore = Files.getFileStore(layout.chunks());
        this.minFree = minFree;
        this.counters = counters;
    }

    /**
     * Opens the disk tier under {@code root}. Returns at once: the index is rebuilt from the files there on a
     * background thread. Until it is, reads and {@link #contains} find files on disk directly, and writes wait (so
     * the byte bound holds from the first write). On a filesystem under {@code minFree}, the index is rebuilt and
     * what the filesystem lacks evicted before this returns.
     */
    static DiskStore open(Path root, long capacity, int shardWidth, FreeSpaceWatermark minFree,
                          CacheCounters counters) throws IOException {
        DiskLayout layout = new DiskLayout(root, shardWidth);
        layout.create();
        DiskStore store = new DiskStore(layout, capacity, minFree, counters);
        if (store.shortfall(0) > 0) {
            log.warn("chunk cache {}: its filesystem has less free space than {}; evicting before serving",
                    layout.chunks().getParent(), minFree);
            store.rebuildIndex();
        } else {
            Threads.start("jstargz-cache-index", store::rebuildIndex);
        }
        return store;
    }

    /** The bytes to free before writing {@code incoming}, for the filesystem to keep its watermark. */
    private long shortfall(long incoming) {
        try {
            return minFree.shortfall(fileStore, incoming);
        } catch (IOException e) {
            log.debug("cannot read the free space of {}: {}", layout.chunks(), e.toString());
            return 0;
        }
    }

    private void rebuildIndex() {
        long start = System.nanoTime();
        try {
            DiskScanner.Result scan = DiskScanner.scan(layout);
            index.addScanned(scan.found());
            deleteEvicted(index.evictOverflow(shortfall(0)));
            log.info("chunk cache {}: {} entries, {} of {}; index rebuilt in {} ms, {} partial or foreign "
                            + "files dropped", layout.chunks().getParent(), index.size(), Sizes.human(index.bytes()),
                    Sizes.human(capacity), (System.nanoTime() - start) / 1_000_000, scan.dropped());
        } catch (IOException | RuntimeException e) {
            log.error("cannot index the chunk cache at {}; its files count toward the disk bound only once read: {}",
                    layout.chunks(), e.toString());
        } finally {
            indexed.complete(null);
        }
    }

    /** Waits until the index has been rebuilt from the files found at start. */
    void awaitIndexed() {
        indexed.join();
    }

    /**
     * Reads the chunk of {@code key}, or null when it is not on disk. A truncated or corrupt file is deleted and
     * reads as a miss; so does a file another process deleted.
     */
    byte[] read(CacheKey key) {
        Path file = layout.path(key);
        DiskIndex.Entry entry = index.pin(key);
        try {
            byte[] data = ChunkFile.read(file);
            if (entry == null) {
                adopt(key, ChunkFile.fileSize(data.length), System.currentTimeMillis());
            } else {
                entry.checked = true;
                persistAccess(entry);
            }
            return data;
        } catch (NoSuchFileException gone) {
            if (entry != null) {
                index.remove(entry);
            }
            return null;
        } catch (CorruptChunkFileException corrupt) {
            counters.corruptEntries.increment();
            if (entry != null) {
                index.remove(entry);
            }
            log.warn("{}; deleting it, chunk {} will be fetched again", corrupt.getMessage(), key);
            deleteQuietly(file);
            return null;
        } catch (IOException e) {
            log.warn("cannot read cached chunk {} from {}, fetching it again: {}", key, file, e.toString());
            return null;
        } finally {
            if (entry != null) {
                index.unpin(entry);
            }
        }
    }

    /** Whether part of the chunk of {@code key} can be read without the rest ({@link #readPart}). */
    boolean isCheckedWhole(CacheKey key) {
        DiskIndex.Entry entry = index.touch(key);
        return entry != null && entry.checked;
    }

    /**
     * Reads {@code length} bytes at {@code from} of the chunk of {@code key} straight from its file, without the rest
     * of the chunk, if the file is known whole ({@link DiskIndex.Entry#checked}). False when it is not, or is gone; a
     * file shorter than its entry is deleted, as a corrupt one is.
     */
    boolean readPart(CacheKey key, int from, int length, ChunkCache.RangeReader into) {
        DiskIndex.Entry entry = index.pin(key);
        if (entry == null) {
            return false;
        }
        Path file = layout.path(key);
        try {
            if (!entry.checked || ChunkFile.HEADER_BYTES + (long) from + length > entry.size) {
                return false;
            }
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                into.read(ch, ChunkFile.HEADER_BYTES + (long) from, length);
            }
            persistAccess(entry);
            return true;
        } catch (NoSuchFileException gone) {
            index.remove(entry);
            return false;
        } catch (EOFException truncated) {
            counters.corruptEntries.increment();
            index.remove(entry);
            log.warn("cached chunk {} is shorter than the {} bytes it was written with; deleting it, it will be fetched"
                    + " again", file, entry.size);
            deleteQuietly(file);
            return false;
        } catch (IOException e) {
            log.warn("cannot read cached chunk {} from {}, fetching it again: {}", key, file, e.toString());
            return false;
        } finally {
            index.unpin(entry);
        }
    }

    /** Whether {@code key} is on disk: in the index, or a file another process wrote (then adopted). */
    boolean contains(CacheKey key) {
        if (index.contains(key)) {
            return true;
        }
        try {
            BasicFileAttributes attrs = Files.readAttributes(layout.path(key), BasicFileAttributes.class);
            if (!attrs.isRegularFile() || attrs.size() < ChunkFile.HEADER_BYTES) {
                return false;
            }
            adopt(key, attrs.size(), attrs.lastModifiedTime().toMillis());
            return true;
        } catch (IOException absent) {
            return false;
        }
    }

    /** Marks {@code key} most recently used, if indexed (a use of its copy in memory). */
    void touch(CacheKey key) {
        DiskIndex.Entry entry = index.touch(key);
        if (entry != null) {
            persistAccess(entry);
        }
    }

    boolean hasCapacity() {
        return capacity > 0;
    }

    /**
     * Writes the chunk unless it is already indexed (same key, same content), evicting least recently used entries
     * to stay under the bound. A failure is logged (once until writes work again) and leaves the chunk off disk.
     */
    void write(CacheKey key, byte[] data) {
        awaitIndexed();
        if (capacity == 0 || index.contains(key)) {
            return;
        }
        long size = ChunkFile.fileSize(data.length);
        DiskIndex.Reservation reservation = index.reserve(size, shortfall(size));
        deleteEvicted(reservation.victims());
        if (!reservation.granted()) {
            log.debug("chunk {} ({} bytes) not written to disk: no room under the bound of {} bytes or above the free"
                    + " space watermark of {}", key, size, capacity, minFree);
            return;
        }
        Path file = layout.path(key);
        Path temp = layout.tempPath(key);
        try {
            ChunkFile.write(temp, data);
            moveIntoPlace(temp, file);
            index.commit(key, size, System.currentTimeMillis());
            if (writesFailing.compareAndSet(true, false)) {
                log.info("writing chunks to {} works again", layout.chunks());
            }
        } catch (IOException e) {
            index.cancel(size);
            deleteTemp(temp);
            counters.diskWriteFailures.increment();
            if (writesFailing.compareAndSet(false, true)) {
                log.warn("cannot write chunk {} to {}, keeping chunks in memory only until writes work again: {}",
                        key, file, e.toString());
            }
        }
    }

    /**
     * Evicts what the filesystem lacks to keep its watermark, once the index is rebuilt, and returns what it still
     * lacks then: more than 0 when the tier has nothing left to give back and something else fills the filesystem.
     * Says so once when that starts, and once when it ends.
     */
    long keepFreeSpace() {
        long lacking = shortfall(0);
        if (lacking > 0) {
            awaitIndexed();
            deleteEvicted(index.evictOverflow(lacking));
            lacking = shortfall(0);
        }
        boolean below = lacking > 0;
        if (belowWatermark.getAndSet(below) != below) {
            if (below) {
                log.warn("chunk cache {}: its filesystem lacks {} to leave {} free, and the cache holds nothing more"
                        + " to give back ({} on disk): degraded until something else frees space",
                        layout.chunks().getParent(), Sizes.human(lacking), minFree, Sizes.human(index.bytes()));
            } else {
                log.info("chunk cache {}: its filesystem leaves {} free again", layout.chunks().getParent(), minFree);
            }
        }
        return lacking;
    }

    long bytes() {
        return index.bytes();
    }

    int entries() {
        return index.size();
    }

    private static void moveIntoPlace(Path temp, Path file) throws IOException {
        try {
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
        } catch (NoSuchFileException e) {
            // the shard directory is created on first use; if the temp file vanished the retry fails the same way
            Files.createDirectories(file.getParent());
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
        }
    }

    private void adopt(CacheKey key, long size, long modifiedMillis) {
        index.add(key, size, modifiedMillis);
        deleteEvicted(index.evictOverflow(shortfall(0)));
    }

    /** Records a use in the file's modification time, which orders eviction after a restart; at most once a minute. */
    private void persistAccess(DiskIndex.Entry entry) {
        long now = System.currentTimeMillis();
        if (now - entry.persistedAccessMillis > PERSIST_ACCESS_MILLIS) {
            entry.persistedAccessMillis = now;
            Path file = layout.path(entry.key);
            try {
                Files.setLastModifiedTime(file, FileTime.fromMillis(now));
            } catch (IOException e) {
                log.debug("cannot record the use of {}: {}", file, e.toString());
            }
        }
    }

    private void deleteEvicted(List<DiskIndex.Entry> victims) {
        if (victims.isEmpty()) {
            return;
        }
        long bytes = 0;
        for (DiskIndex.Entry victim : victims) {
            deleteQuietly(layout.path(victim.key));
            bytes += victim.size;
        }
        counters.evictions.add(victims.size());
        log.info("evicted {} chunks ({}) from {} to stay under {} and leave {} free", victims.size(),
                Sizes.human(bytes), layout.chunks(), Sizes.human(capacity), minFree);
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            log.warn("cannot delete {} from the chunk cache: {}", file, e.toString());
        }
    }

    /** Removes what a failed write may have left; the write failure itself is what gets logged. */
    private static void deleteTemp(Path temp) {
        try {
            Files.deleteIfExists(temp);
        } catch (IOException e) {
            log.debug("cannot delete temp file {}: {}", temp, e.toString());
        }
    }
}
