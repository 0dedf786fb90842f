package io.jstargz.estargz;

import java.nio.file.FileSystemLoopException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
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
 * directories created, hardlinks resolved), per-file chunk tables, the landmarks and the prefetch range. Immutable
 * and safe to share between threads; it holds no reference to the blob, so reading bytes is up to the caller (see
 * {@link ChunkDecoder}, or {@link LayerReader} for local blobs).
 */
public final class LayerIndex {
    /** Symlinks followed by {@link #resolve(String)} before it gives up, as Linux's {@code MAXSYMLINKS}. */
    public static final int MAX_SYMLINKS = 40;

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
    private final Entry root;
    private final Map<String, Entry> byPath;
    private final Entry[] byInode;
    private final Landmark landmark;
    private final long prefetchEnd;
    private final ChunkDecoder decoder;

    LayerIndex(IndexBuilder.Meta meta, Entry root, Map<String, Entry> byPath, Entry[] byInode) {
        this.meta = meta;
        this.root = root;
        this.byPath = Map.copyOf(byPath);
        this.byInode = byInode;
        Entry prefetch = root.child(Landmarks.PREFETCH);
        if (prefetch != null && prefetch.isRegular() && prefetch.chunks.length > 0) {
            landmark = Landmark.PREFETCH;
            prefetchEnd = prefetch.chunks[0].blobOffset();
        } else {
            landmark = root.child(Landmarks.NO_PREFETCH) != null ? Landmark.NO_PREFETCH : Landmark.NONE;
            prefetchEnd = -1;
        }
        this.decoder = new ChunkDecoder(meta.layer());
    }

    /** The name given in {@link OpenOptions#layerName()}, used in every message about this layer. */
    public String layerName() {
        return meta.layer();
    }

    public FooterKind footerKind() {
        return meta.footerKind();
    }

    public long blobSize() {
        return meta.blobSize();
    }

    /** Compressed offset of the TOC's gzip member; also the end of the payload. */
    public long tocOffset() {
        return meta.tocOffset();
    }

    /** Compressed size of the TOC's gzip member. */
    public long tocSize() {
        return meta.tocSize();
    }

    /** {@code sha256:<hex>} of the TOC JSON, to compare with the {@code containerd.io/snapshot/stargz/toc.digest}. */
    public String tocDigest() {
        return meta.tocDigest();
    }

    public Entry root() {
        return root;
    }

    /**
     * The entry at a path ({@code "a/b"}, {@code "/a/b"} and {@code "./a/b"} are the same), without following
     * symlinks.
     */
    public Optional<Entry> lookup(String path) {
        return Optional.ofNullable(byPath.get(GoPaths.cleanEntryName(path)));
    }

    /** The entry with an inode number, or null. */
    public Entry entry(long inode) {
        return inode >= 1 && inode <= byInode.length ? byInode[(int) (inode - 1)] : null;
    }

    /** Number of distinct entries (inodes), including the root and implicit directories. */
    public int entryCount() {
        return byInode.length;
    }

    /** How many entries (inodes) of each type there are. */
    public Map<EntryType, Integer> countByType() {
        EnumMap<EntryType, Integer> counts = new EnumMap<>(EntryType.class);
        for (Entry e : byInode) {
            counts.merge(e.type(), 1, Integer::sum);
        }
        return Collections.unmodifiableMap(counts);
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
        walk(root, "", visitor);
    }

    private static void walk(Entry dir, String prefix, BiConsumer<String, Entry> visitor) {
        for (int i = 0; i < dir.childNames.length; i++) {
            String path = prefix.isEmpty() ? dir.childNames[i] : prefix + "/" + dir.childNames[i];
            Entry e = dir.children[i];
            visitor.accept(path, e);
            if (e.isDirectory()) {
                walk(e, path, visitor);
            }
        }
    }

    /** All paths below the root, in {@link #walk} order. */
    public List<String> paths() {
        List<String> out = new ArrayList<>(byPath.size());
        walk((p, e) -> out.add(p));
        return out;
    }

    /**
     * The directory as an overlayfs lower layer must show it: landmarks hidden at the root, the opaque marker and
     * {@code .wh.*} entries hidden, and each {@code .wh.<name>} shown as a whiteout {@code <name>} unless the layer
     * also has a real {@code <name>}. Sorted by name.
     */
    public List<DirEntry> overlayChildren(Entry dir) {
        List<DirEntry> out = new ArrayList<>(dir.childNames.length);
        List<DirEntry> whiteouts = new ArrayList<>();
        for (int i = 0; i < dir.childNames.length; i++) {
            String name = dir.childNames[i];
            if (dir == root && isLandmark(name)) {
                continue;
            }
            if (name.startsWith(Landmarks.WHITEOUT_PREFIX)) {
                String hidden = name.substring(Landmarks.WHITEOUT_PREFIX.length());
                if (!name.equals(Landmarks.OPAQUE_MARKER) && !hidden.isEmpty() && dir.child(hidden) == null) {
                    whiteouts.add(new DirEntry(hidden, dir.children[i], true));
                }
                continue;
            }
            out.add(new DirEntry(name, dir.children[i], false));
        }
        if (!whiteouts.isEmpty()) {
            out.addAll(whiteouts);
            out.sort((a, b) -> GoStrings.compareCodePoints(a.name(), b.name()));
        }
        return out;
    }

    /** One name of {@link #overlayChildren}, or null if the overlay view has no such name. */
    public DirEntry overlayLookup(Entry dir, String name) {
        if (dir == root && isLandmark(name) || name.startsWith(Landmarks.WHITEOUT_PREFIX)) {
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
