package io.jstargz.fs;

import io.jstargz.cache.CacheKey;
import io.jstargz.cache.ChunkCache;
import io.jstargz.concurrent.Futures;
import io.jstargz.estargz.ByteRange;
import io.jstargz.estargz.ChunkVerificationException;
import io.jstargz.estargz.Entry;
import io.jstargz.estargz.RemoteBlob;
import io.jstargz.fs.binding.ReadTarget;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The on-demand read path: file range → chunks (binary search) → chunk cache → on a miss, the spans holding the
 * missing chunks, fetched once however many readers want them (adjacent spans in one range, all ranges of a read in
 * one batch) → verified → cached → copied into the reader's buffer. A file read sequentially has its next chunks
 * fetched ahead. Fetches run on {@code executor} and end within {@code timeout} of being asked for (the blob abandons
 * a stalled request), so however many readers wait for a span, none waits longer, and a FUSE thread never blocks
 * forever. A chunk the memory tier lacks but the disk tier holds is read from its file, only the part the read wants,
 * straight into the reader's buffer ({@link ChunkCache#readFromDisk}).
 *
 * <p>A miss at the end of a small file also brings the file's <em>neighbours</em>: the spans that follow it in the
 * blob, small files of the same directory, up to {@code neighbourBytes} in all, in the same request. A converted layer
 * stores a directory's files one after the other, and programs read them together (an import reads a package's
 * modules one after the other), so where each request costs a round trip, a few KiB more per request save whole
 * requests. Only a file no larger than the budget (compressed) brings neighbours, and the walk stops at the first
 * span that is cached or being fetched (what follows is likely local too), in another directory, part of a file split
 * into several chunks, or larger than what is left of the budget: a program that reads one big library rarely reads
 * the next one, and bytes fetched for nothing count against the link too. Neighbours are verified and cached like
 * every span; the reader does not wait for their decoding.
 */
final class ChunkFetcher {
    private static final Logger log = LoggerFactory.getLogger(ChunkFetcher.class);
    /** Chunks fetched ahead of a sequential reader. */
    static final int READ_AHEAD_CHUNKS = 2;
    /** In a read's chunk slots: the chunk is read from its file in the disk tier, only the part the read wants. */
    private static final byte[] ON_DISK = new byte[0];

    private final String layer;
    private final SpanStore store;
    private final SpanTable table;
    private final ChunkCache cache;
    private final RemoteBlob blob;
    private final Executor executor;
    private final long timeoutNanos;
    private final long neighbourBytes;
    private final DemandGate gate;
    private final FetchMemory memory;
    private final FetchCounters counters;

    ChunkFetcher(String layer, SpanStore store, ChunkCache cache, RemoteBlob blob, Executor executor,
                 Duration timeout, long neighbourBytes, DemandGate gate, FetchMemory memory,
                 FetchCounters counters) {
        this.layer = layer;
        this.store = store;
        this.table = store.table();
        this.cache = cache;
        this.blob = blob;
        this.executor = executor;
        this.timeoutNanos = timeout.toNanos();
        this.neighbourBytes = neighbourBytes;
        this.gate = gate;
        this.memory = memory;
        this.counters = counters;
    }

    /**
     * Copies up to {@code size} bytes of {@code file} at {@code offset} into {@code target}.
     *
     * @return bytes copied: fewer than {@code size} only at the end of the file
     * @throws IOException naming the layer, file and offset when a chunk cannot be fetched or does not verify
     */
    int read(Entry file, long offset, int size, ReadTarget target) throws IOException {
        long end = Math.min(file.size(), offset + size);
        if (offset >= end) {
            return 0;
        }
        int count = file.chunkCount();
        int fileBase = table.firstChunk(file);
        int first = file.chunkIndexAt(offset);
        int last = first;
        while (last + 1 < count && table.fileOffset(fileBase + last + 1) < end) {
            last++;
        }
        int base = fileBase + first;
        int n = last - first + 1;
        byte[][] data = new byte[n][];
        int missing = 0;
        for (int k = 0; k < n; k++) {
            CacheKey key = table.key(base + k);
            data[k] = cache.getIfInMemory(key).orElse(null);
            if (data[k] == null) {
                data[k] = cache.isOnDiskWhole(key) ? ON_DISK : cache.getIfPresent(key).orElse(null);
                missing += data[k] == null ? 1 : 0;
            }
        }
        for (int k = 0; k < n; k++) {
            long start = table.fileOffset(base + k);
            // a read at a chunk's start that follows the previous chunk: the file is being read sequentially
            if (start >= offset && start < end && (base + k == fileBase || cached(base + k - 1))) {
                readAhead(file, base + k, fileBase + count);
            }
        }
        if (missing > 0) {
            fetchMissing(file, offset, fileBase, base, data);
        }
        for (int k = 0; k < n; k++) {
            long chunkStart = table.fileOffset(base + k);
            int from = (int) (Math.max(offset, chunkStart) - chunkStart);
            int at = (int) (chunkStart + from - offset);
            int length = (int) (Math.min(end, table.fileEnd(base + k)) - chunkStart - from);
            if (data[k] != ON_DISK) {
                target.put(at, data[k], from, length);
            } else if (!cache.readFromDisk(table.key(base + k), from, length,
                    (chunkFile, position, len) -> target.put(at, chunkFile, position, len))) {
                byte[][] refetched = new byte[1][]; // its file left the disk tier since the look-up
                fetchMissing(file, offset, fileBase, base + k, refetched);
                target.put(at, refetched[0], from, length);
            }
        }
        return (int) (end - offset);
    }

    /**
     * Fills the null slots of {@code data} (chunks {@code base..} of the file whose first chunk is {@code fileBase})
     * from their spans, bringing the file's neighbours when this reader fetches the file's end.
     */
    private void fetchMissing(Entry file, long offset, int fileBase, int base, byte[][] data) throws IOException {
        int[] spans = new int[data.length];
        CompletableFuture<?>[] waits = new CompletableFuture<?>[data.length];
        List<Integer> owned = new ArrayList<>();
        List<CompletableFuture<byte[][]>> claims = new ArrayList<>();
        for (int k = 0; k < data.length; k++) {
            if (data[k] != null) {
                continue;
            }
            int s = table.spanOf(base + k);
            spans[k] = s;
            int same = indexOfSpan(spans, waits, k, s);
            if (same >= 0) {
                waits[k] = waits[same];
                continue;
            }
            SpanStore.Claim claim = store.claim(s);
            waits[k] = claim.future();
            if (claim.owned()) {
                owned.add(s);
                claims.add(claim.future());
            }
        }
        if (!owned.isEmpty()) {
            int wanted = owned.size();
            int endSpan = table.spanOf(fileBase + file.chunkCount() - 1);
            if (neighbourBytes > 0 && owned.contains(endSpan) && compressedSize(fileBase, file) <= neighbourBytes) {
                claimNeighbours(file, endSpan, owned, claims);
            }
            submit(file, offset, owned, claims, wanted);
        }
        long deadline = System.nanoTime() + timeoutNanos;
        gate.enter();
        try {
            for (int k = 0; k < data.length; k++) {
                if (data[k] == null) {
                    @SuppressWarnings("unchecked")
                    byte[][] chunks = await(file, offset, (CompletableFuture<byte[][]>) waits[k], deadline);
                    data[k] = chunks[table.positionInSpan(base + k)];
                }
            }
        } finally {
            gate.exit();
        }
    }

    /** Claims the neighbours of {@code file}, the spans after {@code last} (see the class comment). */
    private void claimNeighbours(Entry file, int last, List<Integer> owned, List<CompletableFuture<byte[][]>> claims) {
        Entry dir = file.parent();
        long left = neighbourBytes;
        for (int s = last + 1; s < table.spanCount() && table.length(s) <= left && holdsSmallFilesOf(dir, s); s++) {
            CompletableFuture<byte[][]> claim = store.claimIfFree(s);
            if (claim == null) {
                return;
            }
            owned.add(s);
            claims.add(claim);
            left -= table.length(s);
        }
    }

    /** Whether every chunk of span {@code s} is a whole file directly in directory {@code dir}. */
    private boolean holdsSmallFilesOf(Entry dir, int s) {
        for (int i = 0; i < table.chunksIn(s); i++) {
            Entry f = table.file(table.chunkOf(s, i));
            if (f.chunkCount() > 1 || !dir.equals(f.parent())) {
                return false;
            }
        }
        return true;
    }

    /** The compressed bytes of {@code file}'s spans. */
    private long compressedSize(int fileBase, Entry file) {
        long size = 0;
        for (int g = fileBase; g < fileBase + file.chunkCount(); g++) {
            size += table.length(table.spanOf(g));
        }
        return size;
    }

    private boolean cached(int g) {
        return cache.contains(table.key(g));
    }

    /**
     * Starts fetching the {@link #READ_AHEAD_CHUNKS} chunks after chunk {@code g} of a file read sequentially, unless
     * they are being fetched or are cached (see {@link #promote} for files on disk not checked yet), so the next chunk
     * is local when the reader gets there.
     */
    private void readAhead(Entry file, int g, int fileEnd) {
        List<Integer> owned = new ArrayList<>();
        List<CompletableFuture<byte[][]>> claims = new ArrayList<>();
        for (int next = g + 1; next <= g + READ_AHEAD_CHUNKS && next < fileEnd; next++) {
            claimAhead(next, owned, claims);
        }
        if (!owned.isEmpty()) {
            submit(file, table.fileEnd(g), owned, claims, owned.size());
        }
    }

    /**
     * Starts fetching the first chunk of each of {@code files} (one batch, so one request where the blob allows),
     * unless it is being fetched already or cached ({@link #promote}); returns at once. For
     * files a reader is about to open: a program's shared libraries, named by its ELF header before the dynamic loader
     * asks for them one by one, and the account files every container's start reads.
     */
    void fetchAhead(List<Entry> files) {
        List<Integer> owned = new ArrayList<>();
        List<CompletableFuture<byte[][]>> claims = new ArrayList<>();
        for (Entry f : files) {
            if (f.chunkCount() > 0) {
                claimAhead(table.firstChunk(f), owned, claims);
            }
        }
        if (!owned.isEmpty()) {
            submit(files.get(0), 0, owned, claims, owned.size());
        }
    }

    /**
     * Adds the span of chunk {@code g} to {@code owned}, claimed, unless it is there already, being fetched, or cached
     * (then the chunk is loaded into the memory tier).
     */
    private void claimAhead(int g, List<Integer> owned, List<CompletableFuture<byte[][]>> claims) {
        int s = table.spanOf(g);
        if (owned.contains(s)) {
            return;
        }
        if (cached(g)) {
            if (!cache.isOnDiskWhole(table.key(g))) {
                promote(g);
            }
            return;
        }
        CompletableFuture<byte[][]> claim = store.claimIfFree(s);
        if (claim != null) {
            owned.add(s);
            claims.add(claim);
        }
    }

    /**
     * Loads a chunk that may be on disk only into the memory tier, so the reader does not wait for the disk to be read
     * whole and checked (a file this process did not write; one it did is read in part, as the reader needs it).
     */
    private void promote(int g) {
        try {
            executor.execute(() -> cache.getIfPresent(table.key(g)));
        } catch (RejectedExecutionException closed) {
            // the layer is closing: nothing to warm up
        }
    }

    private static int indexOfSpan(int[] spans, CompletableFuture<?>[] waits, int upTo, int s) {
        for (int j = 0; j < upTo; j++) {
            if (waits[j] != null && spans[j] == s) {
                return j;
            }
        }
        return -1;
    }

    /** Fetches {@code owned} spans on the executor: the first {@code wanted} for readers, the rest neighbours. */
    private void submit(Entry file, long offset, List<Integer> owned, List<CompletableFuture<byte[][]>> claims,
                        int wanted) {
        long deadline = System.nanoTime() + timeoutNanos;
        try {
            executor.execute(() -> fetch(file, offset, owned, claims, wanted, deadline));
        } catch (RejectedExecutionException e) {
            IOException closed = new IOException("layer " + layer + " is closed");
            for (int i = 0; i < owned.size(); i++) {
                store.fail(owned.get(i), claims.get(i), closed);
            }
        }
    }

    /**
     * Fetches owned spans in one batch, by {@code deadline}: the blob reads adjacent ones together. The bytes the batch
     * holds are taken from the daemon's {@link FetchMemory} first; when other reads' fetches hold it until the
     * deadline, the batch fails as a stalled fetch would.
     */
    private void fetch(Entry file, long offset, List<Integer> owned, List<CompletableFuture<byte[][]>> claims,
                       int wanted, long deadline) {
        List<ByteRange> ranges = new ArrayList<>(owned.size());
        long holds = 0;
        for (int s : owned) {
            ranges.add(new ByteRange(table.start(s), table.length(s)));
            holds += table.fetchBytes(s);
        }
        long start = System.nanoTime();
        FetchMemory.Held held;
        try {
            held = memory.forRead(holds, deadline - start);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            held = null;
        }
        try (FetchMemory.Held h = held) {
            List<byte[]> bytes;
            try {
                long left = deadline - System.nanoTime();
                if (h == null || left <= 0) {
                    throw new InterruptedIOException("waited " + Duration.ofNanos(timeoutNanos).toMillis()
                            + " ms for a fetch thread and memory for the fetch");
                }
                counters.requests.increment();
                bytes = blob.readRanges(ranges, Duration.ofNanos(left));
                counters.onDemandFetches.record(start);
            } catch (IOException | RuntimeException e) {
                counters.onDemandFetches.record(start);
                IOException failure = new IOException("layer " + layer + ": fetching " + ranges + " for file \""
                        + file.path() + "\" at offset " + offset + " failed: " + e.getMessage(), e);
                log.warn("{}", failure.getMessage());
                for (int i = 0; i < owned.size(); i++) {
                    store.fail(owned.get(i), claims.get(i), failure);
                }
                return;
            }
            for (int i = 0; i < owned.size(); i++) {
                int s = owned.get(i);
                (i < wanted ? counters.onDemandBytes : counters.neighbourBytes).add(table.length(s));
                try {
                    store.complete(s, claims.get(i), bytes.get(i), 0, (int) table.length(s));
                } catch (ChunkVerificationException | RuntimeException e) {
                    log.warn("{}", e.getMessage());
                }
            }
        }
        if (log.isDebugEnabled()) {
            log.debug("layer {}: fetched {} for \"{}\" at offset {} ({} of {} spans for readers) in {} ms", layer,
                    ranges, file.path(), offset, wanted, owned.size(), (System.nanoTime() - start) / 1_000_000);
        }
    }

    private byte[][] await(Entry file, long offset, CompletableFuture<byte[][]> f, long deadline)
            throws IOException {
        return Futures.get(f, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())),
                "layer " + layer + ": reading file \"" + file.path() + "\" at offset " + offset);
    }
}
