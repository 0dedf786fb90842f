package io.jstargz.estargz;

import java.time.Instant;
import java.util.AbstractList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A file, directory or other node of a layer, as the TOC describes it: an inode. Names that are hardlinks to it
 * refer to the same object, and share its inode number. Immutable once its {@link LayerIndex} is built, so it can be
 * shared between threads.
 */
public final class Entry {
    private static final String[] NO_NAMES = new String[0];
    private static final Entry[] NO_ENTRIES = new Entry[0];
    private static final Chunk[] NO_CHUNKS = new Chunk[0];

    private final String path;
    private final EntryType type;
    private final long inode;
    long mode;
    long uid;
    long gid;
    String userName = "";
    String groupName = "";
    long size;
    long modTimeSeconds;
    String linkName = "";
    long devMajor;
    long devMinor;
    Map<String, byte[]> xattrs = Collections.emptyMap();
    String digest = "";
    int numLink;
    Chunk[] chunks = NO_CHUNKS;
    String[] childNames = NO_NAMES;
    Entry[] children = NO_ENTRIES;
    boolean opaque;

    Entry(String path, EntryType type, long inode) {
        this.path = path;
        this.type = type;
        this.inode = inode;
    }

    /** Normalised path of the entry that defines this node ({@code ""} for the root); for hardlinks, the target. */
    public String path() {
        return path;
    }

    /** Base name of {@link #path()}. */
    public String name() {
        return GoPaths.base(path);
    }

    /** Stable inode number: 1 for the root, then in TOC order; hardlinks share their target's. */
    public long inode() {
        return inode;
    }

    public EntryType type() {
        return type;
    }

    public boolean isDirectory() {
        return type == EntryType.DIR;
    }

    public boolean isRegular() {
        return type == EntryType.REG;
    }

    /** The TOC's mode: tar {@code Header.Mode} bits (permissions, setuid/setgid/sticky; may carry type bits). */
    public long mode() {
        return mode;
    }

    /** {@code st_mode}: the type's {@code S_IFMT} bits and the permission, setuid, setgid and sticky bits. */
    public int unixMode() {
        return type.unixTypeBits() | (int) (mode & 07777);
    }

    public long uid() {
        return uid;
    }

    public long gid() {
        return gid;
    }

    /** Owner's user name if the TOC records one for this uid, else empty. */
    public String userName() {
        return userName;
    }

    /** Owner's group name if the TOC records one for this gid, else empty. */
    public String groupName() {
        return groupName;
    }

    /** Size in bytes of a regular file; 0 for other types. */
    public long size() {
        return size;
    }

    /** Modification time in whole seconds since the epoch (0 when the TOC has none). */
    public long modTimeSeconds() {
        return modTimeSeconds;
    }

    public Instant modTime() {
        return Instant.ofEpochSecond(modTimeSeconds);
    }

    /** Symlink target, as stored. */
    public String linkName() {
        return linkName;
    }

    public long devMajor() {
        return devMajor;
    }

    public long devMinor() {
        return devMinor;
    }

    /** Names of the extended attributes, sorted. */
    public Set<String> xattrNames() {
        return xattrs.keySet();
    }

    /** Value of an extended attribute (a copy), or null. */
    public byte[] xattr(String name) {
        byte[] v = xattrs.get(name);
        return v == null ? null : v.clone();
    }

    /** All extended attributes (copies of the values), sorted by name. */
    public Map<String, byte[]> xattrs() {
        TreeMap<String, byte[]> copy = new TreeMap<>();
        xattrs.forEach((k, v) -> copy.put(k, v.clone()));
        return copy;
    }

    /** {@code sha256:<hex>} of the whole file as the TOC records it, or empty. */
    public String digest() {
        return digest;
    }

    /** Link count: names referring to a file; 2 plus subdirectories for a directory. */
    public int numLink() {
        return numLink;
    }

    /** The chunks of a regular file in file order, tiling {@code [0, size)}; empty for empty files. */
    public List<Chunk> chunks() {
        return Collections.unmodifiableList(Arrays.asList(chunks));
    }

    /** Number of chunks (0 for empty files and other types). */
    public int chunkCount() {
        return chunks.length;
    }

    /** The {@code i}-th chunk in file order; with {@link #chunkCount()}, iteration that allocates nothing. */
    public Chunk chunk(int i) {
        return chunks[i];
    }

    /** Index of the chunk holding byte {@code fileOffset}, or -1 if it is outside the file. */
    public int chunkIndexAt(long fileOffset) {
        if (fileOffset < 0 || fileOffset >= size || chunks.length == 0) {
            return -1;
        }
        int lo = 0;
        int hi = chunks.length - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (chunks[mid].fileOffset() <= fileOffset) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    /** The chunk holding byte {@code fileOffset}, or null if it is outside the file. */
    public Chunk chunkAt(long fileOffset) {
        int i = chunkIndexAt(fileOffset);
        return i < 0 ? null : chunks[i];
    }

    /** The names in a directory, sorted by name (as bytes); empty for other types. Raw: nothing is hidden. */
    public List<DirEntry> children() {
        return new AbstractList<>() {
            @Override
            public DirEntry get(int i) {
                return new DirEntry(childNames[i], children[i], false);
            }

            @Override
            public int size() {
                return childNames.length;
            }
        };
    }

    /** The entry a name in this directory refers to, or null. */
    public Entry child(String name) {
        int i = Arrays.binarySearch(childNames, name, GoStrings.BYTE_ORDER);
        return i < 0 ? null : children[i];
    }

    /** True for a directory that holds an opaque marker ({@code .wh..wh..opq}). */
    public boolean isOpaque() {
        return opaque;
    }

    @Override
    public String toString() {
        return type.tocName() + " " + (path.isEmpty() ? "/" : path);
    }
}
