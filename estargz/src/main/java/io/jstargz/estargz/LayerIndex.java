package io.jstargz.estargz;

import java.nio.file.FileSystemLoopException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.BiConsumer;

/**
 * Everything the TOC of one layer says, checked and indexed: the tree of {@link Entry entries} (implicit parent
 * directories created, hardlinks resolved), the {@link ChunkTable chunks} of every file and the spans that hold them,
 * the landmarks and the prefetch range. Immutable and safe to share between threads; it holds no reference to the
 * blob, so reading bytes is up to the caller (see {@link ChunkDecoder}, or {@link LayerReader} for local blobs).
 *
 * <p>It holds no object per entry: attributes are columns of primitive arrays ({@link Inodes}), names one byte table
 * with each directory's names sorted ({@link Directories}), chunks and spans primitive arrays ({@link ChunkTable}).
 * An {@link Entry} is a view made when asked for (an inode number and this index), so two lookups of one file give
 * equal, not identical, entries.
 */
public final class LayerIndex {
    /** Symlinks followed by {@link #resolve(String)} before it gives up, as Linux's {@code MAXSYMLINKS}. */
    public static final int MAX_SYMLINKS = 40;
    private static final int ROOT = 1;

    /** What the layer says about prefetching. */
    public enum Landmark {
        /** {@code .prefetch.landmark}: prefetch {@code [0, prefetchEnd)}. */
        PREFETCH,
        /** {@code .no.prefetch.landmark}: the builder prioritized nothing; do not prefetch. */
        NO_PREFETCH,
        /** Neither landmark: the snapshotter decides (e.g. a configured prefetch size). */
        NONE
    }

    private final IndexBuilder.Meta meta;
    private final Inodes inodes;
    private final Directories dirs;
    private final ChunkTable chunks;
    private final Entry root;
    private final Landmark landmark;
    private final long prefetchEnd;
    private final ChunkDecoder decoder;

    LayerIndex(IndexBuilder.Meta meta, Inodes inodes, Directories dirs, ChunkTable chunks) {
        this.meta = meta;
        this.inodes = inodes;
        this.dirs = dirs;
        this.chunks = chunks;
        this.root = new Entry(this, ROOT);
        Entry prefetch = root.child(Landmarks.PREFETCH);
        if (prefetch != null && prefetch.isRegular() && prefetch.chunkCount() > 0) {
            landmark = Landmark.PREFETCH;
            prefetchEnd = chunks.spanStart(chunks.spanOf(prefetch.firstChunk()));
        } else {
            landmark = root.child(Landmarks.NO_PREFETCH) != null ? Landmark.NO_PREFETCH : Landmark.NONE;
            prefetchEnd = -1;
        }
        this.decoder = new ChunkDecoder(this);
    }

    Inodes inodes() {
        return inodes;
    }

    Directories directories() {
        return dirs;
    }

    /** The name given in {@link OpenOptions#layerName()}, used in every message about this layer. */
    public String layerName() {
        return meta.layer();
    }

    /** The blob's format, known from its footer. */
    public BlobFormat format() {
        return meta.footer().format();
    }

    public long blobSize() {
        return meta.blobSize();
    }

    /** Blob offset where the TOC starts (its compressed bytes, with any frame header the format puts first). */
    public long tocOffset() {
        return meta.footer().tocOffset();
    }

    /** Compressed size of the TOC, from {@link #tocOffset()}. */
    public long tocSize() {
        return meta.footer().tocSize();
    }

    /** Blob offset where the compressed file contents end: the last span ends here. */
    public long payloadEnd() {
        return meta.footer().payloadEnd();
    }

    /** {@code sha256:<hex>} of the TOC JSON, to compare with the {@code containerd.io/snapshot/stargz/toc.digest}. */
    public String tocDigest() {
        return meta.tocDigest();
    }

    public Entry root() {
        return root;
    }

    /** Every chunk of the layer, numbered in blob order, and the spans that hold them. */
    public ChunkTable chunks() {
        return chunks;
    }

    /**
     * The entry at a path ({@code "a/b"}, {@code "/a/b"} and {@code "./a/b"} are the same), without following
     * symlinks.
     */
    public Optional<Entry> lookup(String path) {
        String clean = GoPaths.cleanEntryName(path);
        ByteBuf p = new ByteBuf(clean.length() * 3).utf8(clean);
        int inode = ROOT;
        byte[] b = p.array();
        for (int start = 0; start < p.size(); ) {
            int end = start;
            while (end < p.size() && b[end] != '/') {
                end++;
            }
            if (inodes.type(inode) != EntryType.DIR) {
                return Optional.empty();
            }
            int link = dirs.find(inode, b, start, end - start);
            if (link < 0) {
                return Optional.empty();
            }
            inode = dirs.inodeOf(link);
            start = end + 1;
        }
        return Optional.of(inode == ROOT ? root : new Entry(this, inode));
    }

    /** The entry with an inode number, or null. */
    public Entry entry(long inode) {
        if (inode == ROOT) {
            return root;
        }
        return inode >= 1 && inode <= inodes.count() ? new Entry(this, (int) inode) : null;
    }

    /** Number of distinct entries (inodes), including the root and implicit directories. */
    public int entryCount() {
        return inodes.count();
    }

    /** How many entries (inodes) of each type there are. */
    public Map<EntryType, Integer> countByType() {
        EnumMap<EntryType, Integer> counts = new EnumMap<>(EntryType.class);
        for (int i = 1; i <= inodes.count(); i++) {
            counts.merge(inodes.type(i), 1, Integer::sum);
        }
        return Collections.unmodifiableMap(counts);
    }

    /**
     * Whether any entry has an extended attribute or is an opaque directory (which a filesystem shows with an
     * attribute): a layer without either has no attribute to answer for.
     */
    public boolean hasXattrs() {
        if (!inodes.xattrs.isEmpty()) {
            return true;
        }
        for (int i = 1; i <= inodes.count(); i++) {
            if (inodes.is(i, Inodes.OPAQUE)) {
                return true;
            }
        }
        return false;
    }

    public Landmark landmark() {
        return landmark;
    }

    /** End of the prefetch range {@code [0, end)} when the layer has a {@code .prefetch.landmark}. */
    public OptionalLong prefetchEnd() {
        return prefetchEnd < 0 ? OptionalLong.empty() : OptionalLong.of(prefetchEnd);
    }

    /** The verifier-decoder for this layer's chunks. */
    public ChunkDecoder decoder() {
        return decoder;
    }

    /** Visits every path below the root, depth first, each directory's names sorted; hardlink names included. */
    public void walk(BiConsumer<String, Entry> visitor) {
        // iterative: a hostile TOC can nest directories deeper than a thread's stack
        ArrayDeque<Cursor> open = new ArrayDeque<>();
        open.push(new Cursor(ROOT, ""));
        while (!open.isEmpty()) {
            Cursor c = open.peek();
            if (c.next == c.end) {
                open.pop();
                continue;
            }
            int link = c.next++;
            String path = c.prefix.isEmpty() ? dirs.name(link) : c.prefix + "/" + dirs.name(link);
            int inode = dirs.inodeOf(link);
            visitor.accept(path, entry(inode));
            if (inodes.type(inode) == EntryType.DIR) {
                open.push(new Cursor(inode, path));
            }
        }
    }

    /** A directory being walked: its path and its next link. */
    private final class Cursor {
        private final String prefix;
        private final int end;
        private int next;

        Cursor(int dir, String prefix) {
            this.prefix = prefix;
            this.next = dirs.firstChild(dir);
            this.end = next + dirs.childCount(dir);
        }
    }

    /** All paths below the root, in {@link #walk} order. */
    public List<String> paths() {
        List<String> out = new ArrayList<>(inodes.count());
        walk((p, e) -> out.add(p));
        return out;
    }

    /**
     * The directory as an overlayfs lower layer must show it: landmarks hidden at the root, the opaque marker and
     * {@code .wh.*} entries hidden, and each {@code .wh.<name>} shown as a whiteout {@code <name>} unless the layer
     * also has a real {@code <name>}. Sorted by name.
     */
    public List<DirEntry> overlayChildren(Entry dir) {
        int d = (int) dir.inode();
        int first = dirs.firstChild(d);
        int count = dirs.childCount(d);
        List<DirEntry> out = new ArrayList<>(count);
        List<DirEntry> whiteouts = new ArrayList<>();
        for (int l = first; l < first + count; l++) {
            String name = dirs.name(l);
            if (d == ROOT && isLandmark(name)) {
                continue;
            }
            Entry e = new Entry(this, dirs.inodeOf(l));
            if (dirs.nameStartsWith(l, Landmarks.WHITEOUT_PREFIX)) {
                String hidden = name.substring(Landmarks.WHITEOUT_PREFIX.length());
                if (!name.equals(Landmarks.OPAQUE_MARKER) && !hidden.isEmpty() && dirs.find(d, hidden) < 0) {
                    whiteouts.add(new DirEntry(hidden, e, true));
                }
                continue;
            }
            out.add(new DirEntry(name, e, false));
        }
        if (!whiteouts.isEmpty()) {
            out.addAll(whiteouts);
            out.sort((a, b) -> GoStrings.compareCodePoints(a.name(), b.name()));
        }
        return out;
    }

    /** One name of {@link #overlayChildren}, or null if the overlay view has no such name. */
    public DirEntry overlayLookup(Entry dir, String name) {
        if (dir.inode() == ROOT && isLandmark(name) || name.startsWith(Landmarks.WHITEOUT_PREFIX)) {
            return null;
        }
        Entry e = dir.child(name);
        if (e != null) {
            return new DirEntry(name, e, false);
        }
        Entry whiteout = dir.child(Landmarks.WHITEOUT_PREFIX + name);
        return whiteout == null ? null : new DirEntry(name, whiteout, true);
    }

    private static boolean isLandmark(String name) {
        return name.equals(Landmarks.PREFETCH) || name.equals(Landmarks.NO_PREFETCH);
    }

    /**
     * The entry at a path, following symlinks in every component as the kernel would inside a chroot at the layer
     * root (absolute targets start at the root, {@code ..} stops at it).
     *
     * @throws NoSuchFileException     if a component does not exist (or a symlink points nowhere)
     * @throws NotDirectoryException   if a non-final component is not a directory
     * @throws FileSystemLoopException after {@link #MAX_SYMLINKS} symlinks, e.g. in a loop
     */
    public Entry resolve(String path) throws NoSuchFileException, NotDirectoryException, FileSystemLoopException {
        List<String> todo = new ArrayList<>(List.of(path.split("/")));
        Collections.reverse(todo);
        List<Entry> stack = new ArrayList<>();
        stack.add(root);
        int links = 0;
        while (!todo.isEmpty()) {
            String part = todo.remove(todo.size() - 1);
            Entry cur = stack.get(stack.size() - 1);
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                if (stack.size() > 1) {
                    stack.remove(stack.size() - 1);
                }
                continue;
            }
            if (!cur.isDirectory()) {
                throw new NotDirectoryException(layerName() + ": " + path);
            }
            Entry next = cur.child(part);
            if (next == null) {
                throw new NoSuchFileException(layerName() + ": " + path);
            }
            if (next.type() == EntryType.SYMLINK) {
                if (++links > MAX_SYMLINKS) {
                    throw new FileSystemLoopException(layerName() + ": " + path);
                }
                String target = next.linkName();
                if (target.isEmpty()) {
                    throw new NoSuchFileException(layerName() + ": " + path);
                }
                if (target.startsWith("/")) {
                    stack.subList(1, stack.size()).clear();
                }
                List<String> parts = new ArrayList<>(List.of(target.split("/")));
                Collections.reverse(parts);
                todo.addAll(parts);
                continue;
            }
            stack.add(next);
        }
        return stack.get(stack.size() - 1);
    }
}
