package io.jstargz.snapshotter.model;

/** Disk usage of a snapshot's own directory: bytes allocated and distinct inodes, as containerd counts them. */
public record Usage(long size, long inodes) {
    public static final Usage ZERO = new Usage(0, 0);
}
