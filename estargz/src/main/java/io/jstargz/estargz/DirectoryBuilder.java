package io.jstargz.estargz;

import java.util.Arrays;

/**
 * Collects the links of a layer's directories as the TOC names them, in any order, and finds one by directory and
 * name in constant time meanwhile (an open-addressing hash table over the links, not a map of path strings); then
 * {@link #freeze sorts} them into {@link Directories}.
 */
final class DirectoryBuilder {
    private final ByteBuf names;
    private int[] parent;
    private int[] inode;
    private int[] nameStart;
    private int[] nameLength;
    private boolean[] defining;
    private int links;
    /** Link number + 1 of each occupied slot, 0 for a free one. */
    private int[] slots;

    DirectoryBuilder(int expectedLinks) {
        int capacity = Math.max(16, expectedLinks);
        names = new ByteBuf(capacity * 16);
        parent = new int[capacity];
        inode = new int[capacity];
        nameStart = new int[capacity];
        nameLength = new int[capacity];
        defining = new boolean[capacity];
        slots = new int[Integer.highestOneBit(capacity) * 4];
    }

    int links() {
        return links;
    }

    int inode(int link) {
        return inode[link];
    }

    void setInode(int link, int value) {
        inode[link] = value;
    }

    /** The link named {@code name[off, off + len)} in directory {@code dir}, or -1. */
    int find(int dir, byte[] name, int off, int len) {
        int mask = slots.length - 1;
        for (int s = hash(dir, name, off, len) & mask; ; s = (s + 1) & mask) {
            int link = slots[s] - 1;
            if (link < 0) {
                return -1;
            }
            if (parent[link] == dir && nameLength[link] == len
                    && Arrays.equals(names.array(), nameStart[link], nameStart[link] + len, name, off, off + len)) {
                return link;
            }
        }
    }

    /**
     * Adds a link (its name must not be in {@code dir} yet); {@code defining} when it is the name that creates
     * {@code target}, false for a hardlink's name.
     */
    int add(int dir, byte[] name, int off, int len, int target, boolean definingName) {
        if (links == parent.length) {
            int capacity = links * 2;
            parent = Arrays.copyOf(parent, capacity);
            inode = Arrays.copyOf(inode, capacity);
            nameStart = Arrays.copyOf(nameStart, capacity);
            nameLength = Arrays.copyOf(nameLength, capacity);
            defining = Arrays.copyOf(defining, capacity);
        }
        int link = links++;
        parent[link] = dir;
        inode[link] = target;
        nameStart[link] = names.size();
        nameLength[link] = len;
        defining[link] = definingName;
        names.append(name, off, len);
        if (links * 2 > slots.length) {
            slots = new int[slots.length * 2];
            for (int l = 0; l < links; l++) {
                place(l);
            }
        } else {
            place(link);
        }
        return link;
    }

    private void place(int link) {
        int mask = slots.length - 1;
        int s = hash(parent[link], names.array(), nameStart[link], nameLength[link]) & mask;
        while (slots[s] != 0) {
            s = (s + 1) & mask;
        }
        slots[s] = link + 1;
    }

    private static int hash(int dir, byte[] name, int off, int len) {
        int h = dir * 0x9e3779b9;
        for (int i = off; i < off + len; i++) {
            h = (h ^ name[i]) * 0x01000193;
        }
        return h ^ h >>> 16;
    }

    /**
     * The links sorted into directories: {@code inodes} inodes, numbered from 1. Counts per directory place each
     * directory's links together, then each directory's are sorted by name bytes.
     */
    Directories freeze(int inodes) {
        int[] firstLink = new int[inodes + 2];
        for (int l = 0; l < links; l++) {
            firstLink[parent[l] + 1]++;
        }
        for (int d = 1; d <= inodes + 1; d++) {
            firstLink[d] += firstLink[d - 1];
        }
        int[] order = new int[links];
        int[] next = Arrays.copyOf(firstLink, inodes + 1);
        for (int l = 0; l < links; l++) {
            order[next[parent[l]]++] = l;
        }
        int[] scratch = new int[links];
        byte[] table = names.array();
        for (int d = 1; d <= inodes; d++) {
            sortByName(order, scratch, firstLink[d], firstLink[d + 1], table);
        }
        int[] linkInode = new int[links];
        int[] start = new int[links + 1];
        byte[] sortedNames = new byte[names.size()];
        int[] definingLink = new int[inodes + 1];
        Arrays.fill(definingLink, -1);
        int at = 0;
        for (int p = 0; p < links; p++) {
            int l = order[p];
            linkInode[p] = inode[l];
            start[p] = at;
            System.arraycopy(table, nameStart[l], sortedNames, at, nameLength[l]);
            at += nameLength[l];
            if (defining[l]) {
                definingLink[inode[l]] = p;
            }
        }
        start[links] = at;
        return new Directories(firstLink, linkInode, start, sortedNames, definingLink);
    }

    /** Sorts links {@code a[from, to)} by name bytes: a merge sort, linear when they are in order already. */
    private void sortByName(int[] a, int[] tmp, int from, int to, byte[] table) {
        if (to - from < 2) {
            return;
        }
        int mid = (from + to) >>> 1;
        sortByName(a, tmp, from, mid, table);
        sortByName(a, tmp, mid, to, table);
        if (compare(a[mid - 1], a[mid], table) <= 0) {
            return;
        }
        System.arraycopy(a, from, tmp, from, to - from);
        int i = from;
        int j = mid;
        for (int k = from; k < to; k++) {
            if (j >= to || i < mid && compare(tmp[i], tmp[j], table) <= 0) {
                a[k] = tmp[i++];
            } else {
                a[k] = tmp[j++];
            }
        }
    }

    private int compare(int x, int y, byte[] table) {
        return Arrays.compareUnsigned(table, nameStart[x], nameStart[x] + nameLength[x],
                table, nameStart[y], nameStart[y] + nameLength[y]);
    }
}
