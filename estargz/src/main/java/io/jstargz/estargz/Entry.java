package io.jstargz.estargz;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.AbstractList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A file, directory or other node of a layer, as the TOC describes it: an inode. A view on the {@link LayerIndex}'s
 * columns, made when a lookup returns it and holding nothing but the index and the inode number: two views of one
 * inode are {@link #equals equal}. Names that are hardlinks to a node give views of the same inode. Immutable, so it
 * can be shared between threads.
 */
public final class Entry {
    private final LayerIndex index;
    private final int inode;

    Entry(LayerIndex index, int inode) {
        this.index = index;
        this.inode = inode;
    }

    /** Normalised path of the entry that defines this node ({@code ""} for the root); for hardlinks, the target. */
    public String path() {
        return index.directories().path(inode);
    }

    /** Base name of {@link #path()}. */
    public String name() {
        return index.directories().baseName(inode);
    }

    /** The directory holding this entry's defining name; null for the root. */
    public Entry parent() {
        int parent = index.directories().parent(inode);
        return parent == 0 ? null : index.entry(parent);
    }

    /** Stable inode number: 1 for the root, then in TOC order; hardlinks share their target's. */
    public long inode() {
        return inode;
    }

    public EntryType type() {
        return index.inodes().type(inode);
    }

    public boolean isDirectory() {
        return type() == EntryType.DIR;
    }

    public boolean isRegular() {
        return type() == EntryType.REG;
    }

    /** The TOC's mode: tar {@code Header.Mode} bits (permissions, setuid/setgid/sticky; may carry type bits). */
    public long mode() {
        return index.inodes().mode(inode);
    }

    /** {@code st_mode}: the type's {@code S_IFMT} bits and the permission, setuid, setgid and sticky bits. */
    public int unixMode() {
        return type().unixTypeBits() | (int) (mode() & 07777);
    }

    public long uid() {
        return index.inodes().uid(inode);
    }

    public long gid() {
        return index.inodes().gid(inode);
    }

    /** Owner's user name if the TOC records one for this uid, else empty. */
    public String userName() {
        return index.inodes().userName(inode);
    }

    /** Owner's group name if the TOC records one for this gid, else empty. */
    public String groupName() {
        return index.inodes().groupName(inode);
    }

    /** Size in bytes of a regular file; 0 for other types. */
    public long size() {
        return index.inodes().size(inode);
    }

    /** Modification time in whole seconds since the epoch (0 when the TOC has none). */
    public long modTimeSeconds() {
        return index.inodes().modTime(inode);
    }

    public Instant modTime() {
        return Instant.ofEpochSecond(modTimeSeconds());
    }

    /** Symlink target, as stored. */
    public String linkName() {
        byte[] target = index.inodes().linkNames.get(inode);
        return target == null ? "" : new String(target, StandardCharsets.UTF_8);
    }

    /** Length in bytes of {@link #linkName()} in UTF-8: a symlink's size. */
    public int linkNameLength() {
        byte[] target = index.inodes().linkNames.get(inode);
        return target == null ? 0 : target.length;
    }

    public long devMajor() {
        long[] dev = index.inodes().devices.get(inode);
        return dev == null ? 0 : dev[0];
    }

    public long devMinor() {
        long[] dev = index.inodes().devices.get(inode);
        return dev == null ? 0 : dev[1];
    }

    private SortedMap<String, byte[]> xattrMap() {
        SortedMap<String, byte[]> x = index.inodes().xattrs.get(inode);
        return x == null ? Collections.emptySortedMap() : x;
    }

    /** Names of the extended attributes, sorted. */
    public Set<String> xattrNames() {
        return Collections.unmodifiableSet(xattrMap().keySet());
    }

    /** Value of an extended attribute (a copy), or null. */
    public byte[] xattr(String name) {
        byte[] v = xattrMap().get(name);
        return v == null ? null : v.clone();
    }

    /** All extended attributes (copies of the values), sorted by name. */
    public Map<String, byte[]> xattrs() {
        TreeMap<String, byte[]> copy = new TreeMap<>();
        xattrMap().forEach((k, v) -> copy.put(k, v.clone()));
        return copy;
    }

    /** {@code sha256:<hex>} of the whole file as the TOC records it, or empty. */
    public String digest() {
        Inodes a = index.inodes();
        if (!a.is(inode, Inodes.HAS_DIGEST)) {
            return "";
        }
        return a.is(inode, Inodes.DIGEST_OF_CHUNK) ? index.chunks().digest(firstChunk())
                : Digests.format(a.digests.get(inode));
    }

    /** Link count: names referring to a file; 2 plus subdirectories for a directory. */
    public int numLink() {
        return index.inodes().numLink(inode);
    }

    /** Global number of the file's first chunk in the layer's {@link ChunkTable}; its chunks follow it. */
    public int firstChunk() {
        return index.chunks().firstChunk(inode);
    }

    /** The chunks of a regular file in file order, tiling {@code [0, size)}; empty for empty files. */
    public List<Chunk> chunks() {
        return new AbstractList<>() {
            @Override
            public Chunk get(int i) {
                return chunk(i);
            }

            @Override
            public int size() {
                return chunkCount();
            }
        };
    }

    /** Number of chunks (0 for empty files and other types). */
    public int chunkCount() {
        return index.chunks().chunkCount(inode);
    }

    /** The {@code i}-th chunk in file order (a record made on each call). */
    public Chunk chunk(int i) {
        if (i < 0 || i >= chunkCount()) {
            throw new IndexOutOfBoundsException("chunk " + i + " of " + chunkCount() + " of " + this);
        }
        return index.chunks().chunk(firstChunk() + i);
    }

    /** Index of the chunk holding byte {@code fileOffset}, or -1 if it is outside the file. */
    public int chunkIndexAt(long fileOffset) {
        int n = chunkCount();
        if (fileOffset < 0 || fileOffset >= size() || n == 0) {
            return -1;
        }
        ChunkTable t = index.chunks();
        int first = firstChunk();
        int lo = 0;
        int hi = n - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (t.fileOffset(first + mid) <= fileOffset) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    /** The names in a directory, sorted by name (as bytes); empty for other types. Raw: nothing is hidden. */
    public List<DirEntry> children() {
        Directories d = index.directories();
        int first = d.firstChild(inode);
        int count = d.childCount(inode);
        return new AbstractList<>() {
            @Override
            public DirEntry get(int i) {
                if (i < 0 || i >= count) {
                    throw new IndexOutOfBoundsException(i);
                }
                return new DirEntry(d.name(first + i), index.entry(d.inodeOf(first + i)), false);
            }

            @Override
            public int size() {
                return count;
            }
        };
    }

    /** The entry a name in this directory refers to, or null. */
    public Entry child(String name) {
        int link = index.directories().find(inode, name);
        return link < 0 ? null : index.entry(index.directories().inodeOf(link));
    }

    /** True for a directory that holds an opaque marker ({@code .wh..wh..opq}). */
    public boolean isOpaque() {
        return index.inodes().is(inode, Inodes.OPAQUE);
    }

    /** Views of the same inode of the same index are equal. */
    @Override
    public boolean equals(Object o) {
        return o instanceof Entry e && e.index == index && e.inode == inode;
    }

    @Override
    public int hashCode() {
        return inode;
    }

    @Override
    public String toString() {
        String path = path();
        return type().tocName() + " " + (path.isEmpty() ? "/" : path);
    }
}
