package io.jstargz.estargz;

import java.util.Arrays;
import java.util.SortedMap;

/**
 * The attributes of a layer's inodes, numbered from 1 (the root), in parallel primitive arrays: no object per inode.
 * What few inodes have (symlink targets, xattrs, device numbers, user and group names, whole-file digests that are
 * not their only chunk's) is kept aside, in {@link InodeMap}s and a pool of owner names. {@link IndexBuilder} appends
 * inodes while it reads the TOC, then {@link #trim()}s the arrays; from then on this is read-only.
 */
final class Inodes {
    private static final int TYPE_BITS = 0x7;
    /** A directory the TOC has no entry for, made because something is inside it. */
    static final int IMPLICIT = 0x8;
    /** A directory holding an opaque marker. */
    static final int OPAQUE = 0x10;
    /** A regular file with a whole-file digest. */
    static final int HAS_DIGEST = 0x20;
    /** ... which is its only chunk's digest, so it is not stored again. */
    static final int DIGEST_OF_CHUNK = 0x40;

    private int count;
    private byte[] flags;
    private int[] mode;
    private int[] uid;
    private int[] gid;
    private int[] owner;
    private int[] numLink;
    private long[] size;
    private long[] modTime;
    private String[] ownerNames = {"", ""};
    final InodeMap<byte[]> linkNames = new InodeMap<>();
    final InodeMap<SortedMap<String, byte[]>> xattrs = new InodeMap<>();
    final InodeMap<long[]> devices = new InodeMap<>();
    final InodeMap<byte[]> digests = new InodeMap<>();

    Inodes(int expected) {
        int capacity = Math.max(16, expected + 1);
        flags = new byte[capacity];
        mode = new int[capacity];
        uid = new int[capacity];
        gid = new int[capacity];
        owner = new int[capacity];
        numLink = new int[capacity];
        size = new long[capacity];
        modTime = new long[capacity];
    }

    /** A new inode of {@code type} with no attributes yet; returns its number. */
    int add(EntryType type) {
        int i = ++count;
        if (i == flags.length) {
            int capacity = flags.length * 2;
            flags = Arrays.copyOf(flags, capacity);
            mode = Arrays.copyOf(mode, capacity);
            uid = Arrays.copyOf(uid, capacity);
            gid = Arrays.copyOf(gid, capacity);
            owner = Arrays.copyOf(owner, capacity);
            numLink = Arrays.copyOf(numLink, capacity);
            size = Arrays.copyOf(size, capacity);
            modTime = Arrays.copyOf(modTime, capacity);
        }
        flags[i] = (byte) type.ordinal();
        return i;
    }

    /** Ends building: arrays cut to size, side tables sorted. */
    void trim(String[] owners) {
        int n = count + 1;
        flags = Arrays.copyOf(flags, n);
        mode = Arrays.copyOf(mode, n);
        uid = Arrays.copyOf(uid, n);
        gid = Arrays.copyOf(gid, n);
        owner = Arrays.copyOf(owner, n);
        numLink = Arrays.copyOf(numLink, n);
        size = Arrays.copyOf(size, n);
        modTime = Arrays.copyOf(modTime, n);
        ownerNames = owners;
        linkNames.freeze();
        xattrs.freeze();
        devices.freeze();
        digests.freeze();
    }

    int count() {
        return count;
    }

    EntryType type(int i) {
        return EntryType.byOrdinal(flags[i] & TYPE_BITS);
    }

    boolean is(int i, int flag) {
        return (flags[i] & flag) != 0;
    }

    void set(int i, int flag) {
        flags[i] |= (byte) flag;
    }

    void clear(int i, int flag) {
        flags[i] &= (byte) ~flag;
    }

    /** Sets the attributes every entry has; {@code mode}, {@code uid} and {@code gid} fit in 32 bits. */
    void setAttributes(int i, long mode, long uid, long gid, long modTime, int owner) {
        this.mode[i] = (int) mode;
        this.uid[i] = (int) uid;
        this.gid[i] = (int) gid;
        this.modTime[i] = modTime;
        this.owner[i] = owner;
    }

    void setSize(int i, long value) {
        size[i] = value;
    }

    void setNumLink(int i, int value) {
        numLink[i] = value;
    }

    void addLink(int i) {
        numLink[i]++;
    }

    long mode(int i) {
        return mode[i] & 0xffffffffL;
    }

    long uid(int i) {
        return uid[i] & 0xffffffffL;
    }

    long gid(int i) {
        return gid[i] & 0xffffffffL;
    }

    String userName(int i) {
        return ownerNames[2 * owner[i]];
    }

    String groupName(int i) {
        return ownerNames[2 * owner[i] + 1];
    }

    long size(int i) {
        return size[i];
    }

    /** The size column itself, shared with the chunk table (which needs each file's end). */
    long[] sizes() {
        return size;
    }

    long modTime(int i) {
        return modTime[i];
    }

    int numLink(int i) {
        return numLink[i];
    }
}
