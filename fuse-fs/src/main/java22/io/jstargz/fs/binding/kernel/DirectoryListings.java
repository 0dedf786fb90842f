package io.jstargz.fs.binding.kernel;

import io.jstargz.fs.binding.DirectoryEntry;
import io.jstargz.fs.binding.NodeAttributes;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The listings of open directories, by inode number. A directory is listed once when it is opened: the kernel then
 * reads it page by page by offset, and each page is a slice of the same listing rather than a new one.
 *
 * <p>A directory's handle is its inode number, as a file's is, and the listing is found by the request's node, not
 * its handle: a handle then means the same to every server of a mount. A directory opened before a handover or a
 * crash is listed again on its next read by the server that adopted the mount; a listing follows the index's order,
 * so the offsets the kernel kept still match. Two opens of one directory share its listing, and one released drops it
 * for both: the other lists it again.
 */
final class DirectoryListings {

    /** An open directory: its own attributes and its names, without {@code .} and {@code ..}. */
    record Listing(NodeAttributes self, List<DirectoryEntry> entries) {
    }

    private final Map<Long, Listing> open = new ConcurrentHashMap<>();

    void open(long node, Listing listing) {
        open.put(node, listing);
    }

    /** The listing of open directory {@code node}, or null. */
    Listing get(long node) {
        return open.get(node);
    }

    void close(long node) {
        open.remove(node);
    }
}
