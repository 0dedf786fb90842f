package io.jstargz.cache;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;

/**
 * What this process knows to be in the disk tier: entries in least-recently-used order with their file sizes, the
 * bytes reserved by writes in progress, and the pins readers hold. Eviction takes the least recently used entries
 * that no reader holds, so a file is never deleted under a reader of this process. Every method is short and runs
 * under one lock; file I/O happens outside it.
 */
final class DiskIndex {

    /** One file of the disk tier. */
    static final class Entry {
        final CacheKey key;
        final long size;
        private int pins;
        /** Last modification time written to the file: its recency after a restart. */
        volatile long persistedAccessMillis;
        /**
         * The file is known whole: this process wrote it, or read it whole and checked it. Only then are parts of it
         * read without the rest (the CRC covers the whole chunk).
         */
        volatile boolean checked;

        Entry(CacheKey key, long size, long persistedAccessMillis) {
            this.key = key;
            this.size = size;
            this.persistedAccessMillis = persistedAccessMillis;
        }
    }

    /**
     * The outcome of making room for a write.
     *
     * @param victims entries removed from the index whose files the caller must delete
     * @param granted whether the bytes were reserved; false when the file is larger than the bound or readers pin
     *                too much to make room
     */
    record Reservation(List<Entry> victims, boolean granted) {
    }

    private final long capacity;
    /** Eviction frees down to this level, so it runs in batches instead of once per write. */
    private final long lowWater;
    private LinkedHashMap<CacheKey, Entry> entries = new LinkedHashMap<>(1024, 0.75f, true);
    private long bytes;
    private long reserved;
    /**
     * Keys removed (their files deleted as corrupt, gone or evicted) before the start-up scan was merged: the scan may
     * have listed their old files, which must not come back into the index. Null once the scan is merged.
     */
    private Set<CacheKey> removedBeforeScan = new HashSet<>();

    DiskIndex(long capacity) {
        this.capacity = capacity;
        this.lowWater = capacity - capacity / 20;
    }

    /** Marks the entry most recently used and holds it against eviction until {@link #unpin}; null if absent. */
    synchronized Entry pin(CacheKey key) {
        Entry e = entries.get(key);
        if (e != null) {
            e.pins++;
        }
        return e;
    }

    synchronized void unpin(Entry e) {
        e.pins--;
    }

    /** Whether the key is indexed; does not count as a use. */
    synchronized boolean contains(CacheKey key) {
        return entries.containsKey(key);
    }

    /** Marks the key most recently used; returns its entry, or null if not indexed. */
    synchronized Entry touch(CacheKey key) {
        return entries.get(key);
    }

    /** Forgets {@code e} (its file is gone or corrupt) unless the key has been re-indexed since. */
    synchronized void remove(Entry e) {
        if (entries.remove(e.key, e)) {
            bytes -= e.size;
            forgotten(e.key);
        }
    }

    private void forgotten(CacheKey key) {
        if (removedBeforeScan != null) {
            removedBeforeScan.add(key);
        }
    }

    /**
     * Reserves {@code size} bytes for a file about to be written, evicting least recently used entries first: enough
     * to stay under the capacity, and at least {@code shortfall} bytes (what the filesystem lacks to keep its free
     * space watermark after the write).
     */
    synchronized Reservation reserve(long size, long shortfall) {
        if (size > capacity) {
            return new Reservation(List.of(), false);
        }
        List<Entry> victims = evict(size, shortfall);
        boolean granted = bytes + reserved + size <= capacity && sizeOf(victims) >= shortfall;
        if (granted) {
            reserved += size;
        }
        return new Reservation(victims, granted);
    }

    /** Gives back a reservation whose write failed. */
    synchronized void cancel(long size) {
        reserved -= size;
    }

    /** Indexes a file written under a reservation of its size, as the most recently used entry. */
    synchronized void commit(CacheKey key, long size, long nowMillis) {
        reserved -= size;
        put(key, size, nowMillis).checked = true;
    }

    /**
     * Indexes a file found on disk (at start, or written by another process sharing the directory) as the most
     * recently used entry; call {@link #evictOverflow} afterwards.
     */
    synchronized void add(CacheKey key, long size, long modifiedMillis) {
        put(key, size, modifiedMillis);
    }

    private Entry put(CacheKey key, long size, long modifiedMillis) {
        Entry e = new Entry(key, size, modifiedMillis);
        Entry previous = entries.put(key, e);
        bytes += size - (previous == null ? 0 : previous.size);
        return e;
    }

    /**
     * Indexes the files found by the scan at start ({@code found} least recently used first), as less recently used
     * than every entry indexed since the cache opened; call {@link #evictOverflow} afterwards.
     */
    synchronized void addScanned(List<DiskScanner.Found> found) {
        LinkedHashMap<CacheKey, Entry> merged = new LinkedHashMap<>(Math.max(1024, 2 * found.size()), 0.75f, true);
        for (DiskScanner.Found f : found) {
            if (removedBeforeScan.contains(f.key())) {
                continue;
            }
            if (!entries.containsKey(f.key()) && merged.put(f.key(), new Entry(f.key(), f.size(), f.modifiedMillis()))
                    == null) {
                bytes += f.size();
            }
        }
        merged.putAll(entries);
        entries = merged;
        removedBeforeScan = null;
    }

    /**
     * Evicts least recently used entries if the index holds more than its capacity, and at least {@code shortfall}
     * bytes (what the filesystem lacks to keep its free space watermark); returns them.
     */
    synchronized List<Entry> evictOverflow(long shortfall) {
        return evict(0, shortfall);
    }

    synchronized long bytes() {
        return bytes;
    }

    synchronized int size() {
        return entries.size();
    }

    private List<Entry> evict(long incoming, long shortfall) {
        boolean over = bytes + reserved + incoming > capacity;
        if (!over && shortfall <= 0) {
            return List.of();
        }
        // over the bound: down to the low water mark, in a batch; for the filesystem: what it lacks
        long target = over ? lowWater : Long.MAX_VALUE;
        long freed = 0;
        List<Entry> victims = new ArrayList<>();
        Iterator<Entry> eldestFirst = entries.values().iterator();
        while ((bytes + reserved + incoming > target || freed < shortfall) && eldestFirst.hasNext()) {
            Entry e = eldestFirst.next();
            if (e.pins == 0) {
                eldestFirst.remove();
                bytes -= e.size;
                freed += e.size;
                forgotten(e.key);
                victims.add(e);
            }
        }
        return victims;
    }

    private static long sizeOf(List<Entry> victims) {
        long size = 0;
        for (Entry e : victims) {
            size += e.size;
        }
        return size;
    }
}
