package io.jstargz.fs.binding;

/**
 * What {@code statfs} shows of a read-only filesystem.
 *
 * @param blockSize  {@code f_bsize} and {@code f_frsize}
 * @param blocks     total size in blocks
 * @param files      number of inodes
 * @param nameMax    longest name
 */
public record FilesystemStatistics(long blockSize, long blocks, long files, long nameMax) {
}
