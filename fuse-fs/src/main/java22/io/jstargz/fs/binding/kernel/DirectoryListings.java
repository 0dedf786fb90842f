package io.jstargz.fs.binding.kernel;

import io.jstargz.fs.binding.DirectoryEntry;
import io.jstargz.fs.binding.NodeAttributes;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The listings of open directories, by handle. A directory is listed once when it is opened: the kernel then reads
 * it page by page by offset, and each page is a slice of the same listing rather than a new one.
 */
final class DirectoryListings {

    /** An open directory: its own attributes and its names, without {@code .} and {@code ..}. */
    record Listing(NodeAttributes self, List<DirectoryEntry> entries) {
    }

    private final Map<Long, Listing> open = new ConcurrentHashMap<>();
    private final AtomicLong nextHandle = new AtomicLong(1);

    long open(Listing listing) {
        long handle = nextHandle.getAndIncrement();
        open.put(handle, listing);
        return handle;
    }

    /** The listing of an open handle, or null. */
    Listing get(long handle) {
        return open.get(handle);
    }

    void close(long handle) {
        open.remove(handle);
    }
}
