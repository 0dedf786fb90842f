package io.jstargz.fs.binding;

/**
 * What {@code stat} shows of one node.
 *
 * @param inode        {@code st_ino}, stable for the life of the mount; shared by hardlinks
 * @param mode         {@code st_mode}: type bits and permission, setuid, setgid and sticky bits
 * @param linkCount    {@code st_nlink}
 * @param uid          owner
 * @param gid          group
 * @param deviceMajor  major number of a character or block device, else 0
 * @param deviceMinor  minor number of a character or block device, else 0
 * @param size         {@code st_size}: bytes of a regular file, target length of a symlink, else 0
 * @param mtimeSeconds modification time (also shown as access and change time), seconds since the epoch
 */
public record NodeAttributes(long inode, int mode, int linkCount, long uid, long gid, long deviceMajor,
                             long deviceMinor, long size, long mtimeSeconds) {

    /** Type bits of a directory in {@code st_mode}. */
    public static final int S_IFDIR = 0040000;
    /** Mask of the type bits of {@code st_mode}. */
    public static final int S_IFMT = 0170000;

    public boolean isDirectory() {
        return (mode & S_IFMT) == S_IFDIR;
    }
}
