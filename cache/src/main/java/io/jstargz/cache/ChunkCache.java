package io.jstargz.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.jstargz.concurrent.BackgroundGate;
import io.jstargz.concurrent.Threads;
import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The chunk cache: uncompressed, already verified eStargz chunks in memory (caffeine, weighted by bytes) in front of
 * a size-bounded disk tier that survives restarts. Thread-safe.
 *
 * <p>Fetching is the read path's job (it joins concurrent readers of one span); the cache only looks up and stores.
 * {@link #put} returns once the chunk is in memory; the disk write happens on a background thread, or in the caller
 * when more than {@link ChunkCacheConfig#writeQueueBytes()} are already queued, so memory stays bounded. Until
 * written, a queued chunk is still found, even if the memory tier has evicted it.
 *
 * <p>The background thread writes when a {@link BackgroundGate} lets it: a snapshotter holds the writes back while
 * containers start, as it holds back background fetches. At a container's start they would be a file per chunk of
 * every file the layers' tails, prefetches and reads brought, taking CPU and the filesystem from containerd, runc and
 * the container, while no read needs them: the chunks are in memory. It writes anyway once the queue is three
 * quarters full (so that fetching threads seldom have to write themselves), when {@link #flush} asks for the chunks
 * to be on disk, and when the cache closes.
 *
 * <p>Arrays are shared, not copied: callers must not modify an array they passed to {@link #put} or received.
 */
public final class ChunkCache implements Closeable {

    private static final Logger log = LoggerFactory.getLogger(ChunkCache.class);
    private static final long CLOSE_TIMEOUT_SECONDS = 60;
    /** Heap a queued write costs beyond its data (task, map entry), so many tiny chunks cannot overrun the bound. */
    private static final int QUEUED_WRITE_OVERHEAD = 256;

    private final Cache<CacheKey, byte[]> memory;
    private final DiskStore disk;
    private final CacheCounters counters;
    private final ConcurrentHashMap<CacheKey, byte[]> queuedWrites = new ConcurrentHashMap<>();
    private final AtomicLong queuedBytes = new AtomicLong();
    private final long writeQueueBytes;
    private final ExecutorService writer;
    private final BackgroundGate writeGate;
    private final AtomicInteger flushes = new AtomicInteger();
    private volatile boolean closing;

    private ChunkCache(ChunkCacheConfig config, DiskStore disk, CacheCounters counters, BackgroundGate writeGate) {
        this.disk = disk;
        this.writeGate = writeGate;
        this.counters = counters;
        this.writeQueueBytes = config.writeQueueBytes();
        // eviction runs in the calling thread so the memory bound holds when put returns
        this.memory = Caffeine.newBuilder()
                .maximumWeight(config.memoryBytes())
                .weigher((CacheKey k, byte[] v) -> v.length)
                .executor(Runnable::run)
                .build();
        this.writer = Executors.newSingleThreadExecutor(Threads.background("jstargz-cache-writer"));
    }

    /**
     * Opens the cache, creating the directory if needed. Returns without waiting for the chunks already on disk to
     * be indexed (that runs in the background); they are found by reads and {@link #contains} meanwhile.
     */
    public static ChunkCache open(ChunkCacheConfig config) throws IOException {
        return open(config, BackgroundGate.OPEN);
    }

    /** Opens the cache as {@link #open(ChunkCacheConfig)} does; queued disk writes wait for {@code writeGate}. */
    public static ChunkCache open(ChunkCacheConfig config, BackgroundGate writeGate) throws IOException {
        CacheCounters counters = new CacheCounters();
        DiskStore disk = DiskStore.open(config.directory(), config.diskBytes(), config.shardWidth(),
                config.minFree(), counters);
        return new ChunkCache(config, disk, counters, writeGate);
    }

    /** Reads a part of a chunk's file: exactly {@code length} bytes at {@code position}, into the reader's buffer. */
    @FunctionalInterface
    public interface RangeReader {
        /** @throws java.io.EOFException if the file ends first */
        void read(FileChannel file, long position, int length) throws IOException;
    }

    /** Returns the chunk of {@code key} if it is in memory (or queued for the disk), without looking on disk. */
    public Optional<byte[]> getIfInMemory(CacheKey key) {
        return Optional.ofNullable(memoryLookup(key));
    }

    /**
     * Whether a part of the chunk of {@code key} can be read from disk without the rest ({@link #readFromDisk}): its
     * file was written by this process, or read whole and checked since it started.
     */
    public boolean isOnDiskWhole(CacheKey key) {
        return disk.isCheckedWhole(key);
    }

    /**
     * Reads {@code length} bytes at {@code from} of the chunk of {@code key} from its file straight into
     * {@code into}, leaving the chunk out of the memory tier. A FUSE read wants 128 KiB of a 4 MiB chunk: reading the
     * whole file, checking it and holding it in memory for the next 31 reads cost more than these reads from the
     * page cache, and churned the heap. Returns false when the file cannot serve it ({@link #isOnDiskWhole} is no
     * longer true): the caller then looks it up or fetches it.
     */
    public boolean readFromDisk(CacheKey key, int from, int length, RangeReader into) {
        if (!disk.readPart(key, from, length, into)) {
            return false;
        }
        counters.diskHits.increment();
        return true;
    }

    /** Returns the chunk of {@code key} if it is in memory or on disk; counts a miss otherwise. */
    public Optional<byte[]> getIfPresent(CacheKey key) {
        byte[] data = memoryLookup(key);
        if (data == null) {
            data = diskLookup(key);
        }
        if (data == null) {
            counters.misses.increment();
        }
        return Optional.ofNullable(data);
    }

    /**
     * Caches a chunk (prefetch and background fetch store many chunks of one response this way). It is in memory
     * when this returns; the disk write follows. The caller gives up the array: it must not modify it afterwards.
     */
    public void put(CacheKey key, byte[] data) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(data, "data");
        memory.put(key, data);
        if (queuedWrites.putIfAbsent(key, data) != null) {
            return;
        }
        long cost = queuedCost(data);
        long queued = queuedBytes.addAndGet(cost);
        if (queued > writeQueueBytes) {
            writeToDisk(key, data); // the queue is full: the caller pays, so memory stays bounded
            return;
        }
        if (queued > writeNowBytes() && queued - cost <= writeNowBytes()) {
            writeGate.wake();
        }
        try {
            writer.execute(() -> writeWhenDue(key, data));
        } catch (RejectedExecutionException closed) {
            writeToDisk(key, data);
        }
    }

    /**
     * Caches a chunk on disk only, written by the caller, for chunks fetched ahead of any reader (the background fetch
     * brings whole layers, a prefetch tens of MiB). Through the memory tier or the write queue they would push out the
     * chunks readers use and live long enough to be promoted to the heap's old generation, which then grows by every
     * byte fetched until a full collection. Readers read it from its file. Without a disk tier it goes to memory, as
     * {@link #put}.
     */
    public void putOnDisk(CacheKey key, byte[] data) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(data, "data");
        if (!disk.hasCapacity()) {
            put(key, data);
            return;
        }
        disk.write(key, data);
    }

    /**
     * Whether the chunk of {@code key} is cached, without reading it: cheap enough to ask for every chunk of a layer.
     * A file another process wrote counts. Does not count as a use of the chunk.
     */
    public boolean contains(CacheKey key) {
        return memory.asMap().containsKey(key) || queuedWrites.containsKey(key) || disk.contains(key);
    }

    /**
     * Evicts from the disk tier what its filesystem lacks to keep the free space watermark now: something else may
     * have filled it since the last write. Cheap when nothing is lacking (one statfs).
     *
     * @return the bytes the filesystem still lacks to keep the watermark: more than 0 when the cache has nothing left
     *         to give back
     */
    public long keepFreeSpace() {
        return disk.keepFreeSpace();
    }

    /** Current counters and sizes. */
    public CacheStats stats() {
        long memoryBytes = memory.policy().eviction().map(e -> e.weightedSize().orElse(0)).orElse(0L);
        return counters.snapshot(memoryBytes, disk.bytes(), disk.entries());
    }

    /**
     * Waits until every chunk put before this call is on disk (or failed to be written), so it survives the process;
     * at most {@code timeoutMillis}. Returns whether everything was written in time.
     */
    public boolean flush(long timeoutMillis) throws InterruptedException {
        flushes.incrementAndGet();
        writeGate.wake();
        try {
            // the writer is one thread taking writes in order: when this no-op runs, the earlier writes are done
            writer.submit(() -> { }).get(timeoutMillis, TimeUnit.MILLISECONDS);
            return true;
        } catch (RejectedExecutionException closed) {
            return writer.awaitTermination(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            return false;
        } finally {
            flushes.decrementAndGet();
        }
    }

    /** Waits until the disk index has been rebuilt from the files found at start (open does not wait). */
    void awaitIndexed() {
        disk.awaitIndexed();
    }

    /** Finishes the queued disk writes (waiting up to a minute) and the index rebuild; stops the writer thread. */
    @Override
    public void close() {
        closing = true;
        writeGate.wake();
        disk.awaitIndexed();
        writer.shutdown();
        try {
            if (!writer.awaitTermination(CLOSE_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                log.warn("chunk cache closed with {} bytes still queued for disk", queuedBytes.get());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Writes a queued chunk once the gate opens, or sooner when it must be on disk (see the class comment). */
    private void writeWhenDue(CacheKey key, byte[] data) {
        try {
            writeGate.awaitOpen(this::mustWriteNow);
        } catch (InterruptedException e) {
            // not passed on: the chunk is written now, and an interrupted thread would close the file it writes to
            log.debug("disk writer interrupted while waiting for the gate; writing {} now", key);
        }
        writeToDisk(key, data);
    }

    private boolean mustWriteNow() {
        return closing || flushes.get() > 0 || queuedBytes.get() > writeNowBytes();
    }

    private long writeNowBytes() {
        return writeQueueBytes - writeQueueBytes / 4;
    }

    private byte[] memoryLookup(CacheKey key) {
        byte[] data = memory.getIfPresent(key);
        if (data == null) {
            data = queuedWrites.get(key);
        }
        if (data != null) {
            counters.memoryHits.increment();
            disk.touch(key); // keep a chunk that is hot in memory from being the first to leave the disk
        }
        return data;
    }

    private byte[] diskLookup(CacheKey key) {
        byte[] data = disk.read(key);
        if (data != null) {
            counters.diskHits.increment();
            memory.put(key, data);
        }
        return data;
    }

    private static long queuedCost(byte[] data) {
        return data.length + (long) QUEUED_WRITE_OVERHEAD;
    }

    private void writeToDisk(CacheKey key, byte[] data) {
        try {
            disk.write(key, data);
        } finally {
            queuedWrites.remove(key, data);
            queuedBytes.addAndGet(-queuedCost(data));
        }
    }
}
