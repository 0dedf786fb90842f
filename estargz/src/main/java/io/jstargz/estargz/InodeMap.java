package io.jstargz.estargz;

import java.util.Arrays;

/**
 * A value for the few inodes that have one (xattrs, symlink targets, device numbers, whole-file digests that are not
 * a chunk's): sorted inode numbers and their values, found by binary search, so that the many inodes without one
 * cost nothing. Filled while an index is built (in any order: a directory the TOC names after its children gets its
 * values late), then {@link #freeze() frozen} and read-only.
 *
 * @param <T> the value type
 */
final class InodeMap<T> {
    private int[] keys = new int[0];
    private Object[] values = new Object[0];
    private int size;
    private boolean sorted = true;

    void put(int inode, T value) {
        if (size == keys.length) {
            int capacity = Math.max(8, size * 2);
            keys = Arrays.copyOf(keys, capacity);
            values = Arrays.copyOf(values, capacity);
        }
        sorted &= size == 0 || keys[size - 1] < inode;
        keys[size] = inode;
        values[size] = value;
        size++;
    }

    /** Trims the storage and sorts by inode; each inode is put at most once. */
    InodeMap<T> freeze() {
        if (!sorted) {
            Integer[] order = new Integer[size];
            for (int i = 0; i < size; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (a, b) -> Integer.compare(keys[a], keys[b]));
            int[] k = new int[size];
            Object[] v = new Object[size];
            for (int i = 0; i < size; i++) {
                k[i] = keys[order[i]];
                v[i] = values[order[i]];
            }
            keys = k;
            values = v;
            sorted = true;
        } else if (keys.length != size) {
            keys = Arrays.copyOf(keys, size);
            values = Arrays.copyOf(values, size);
        }
        return this;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** The value of {@code inode}, or null. */
    @SuppressWarnings("unchecked")
    T get(int inode) {
        int i = Arrays.binarySearch(keys, 0, size, inode);
        return i < 0 ? null : (T) values[i];
    }
}
