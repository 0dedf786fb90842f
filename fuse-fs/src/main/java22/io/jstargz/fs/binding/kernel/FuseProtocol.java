package io.jstargz.fs.binding.kernel;

import java.util.Arrays;
import java.util.List;

/**
 * Numbers of the FUSE kernel protocol (Linux {@code include/uapi/linux/fuse.h}): opcodes, INIT and open flags, and
 * the byte offsets of the structure fields the binding reads and writes. Every structure is laid out for a 64-bit
 * little- or big-endian host in native order, as the kernel reads it.
 */
final class FuseProtocol {
    static final int KERNEL_VERSION = 7;
    /** The protocol minor version this binding speaks (7.40 added passthrough). */
    static final int MINOR_VERSION = 40;
    /** The oldest minor version served: 7.31 has every structure this binding uses at its full size. */
    static final int OLDEST_MINOR_VERSION = 31;

    // opcodes
    static final int LOOKUP = 1;
    static final int FORGET = 2;
    static final int GETATTR = 3;
    static final int SETATTR = 4;
    static final int READLINK = 5;
    static final int SYMLINK = 6;
    static final int MKNOD = 8;
    static final int MKDIR = 9;
    static final int UNLINK = 10;
    static final int RMDIR = 11;
    static final int RENAME = 12;
    static final int LINK = 13;
    static final int OPEN = 14;
    static final int READ = 15;
    static final int WRITE = 16;
    static final int STATFS = 17;
    static final int RELEASE = 18;
    static final int SETXATTR = 21;
    static final int GETXATTR = 22;
    static final int LISTXATTR = 23;
    static final int REMOVEXATTR = 24;
    static final int FLUSH = 25;
    static final int INIT = 26;
    static final int OPENDIR = 27;
    static final int READDIR = 28;
    static final int RELEASEDIR = 29;
    static final int ACCESS = 34;
    static final int CREATE = 35;
    static final int INTERRUPT = 36;
    static final int DESTROY = 38;
    static final int BATCH_FORGET = 42;
    static final int FALLOCATE = 43;
    static final int READDIRPLUS = 44;
    static final int RENAME2 = 45;
    static final int COPY_FILE_RANGE = 47;
    static final int TMPFILE = 51;

    /** Each served opcode's name (as metrics show it), by opcode; null for the others. */
    static final List<String> OPCODE_NAMES = opcodeNames();

    // INIT flags (flags2 holds bits 32..63)
    static final long ASYNC_READ = 1L << 0;
    static final long DO_READDIRPLUS = 1L << 13;
    static final long READDIRPLUS_AUTO = 1L << 14;
    static final long ASYNC_DIO = 1L << 15;
    static final long PARALLEL_DIROPS = 1L << 18;
    static final long MAX_PAGES = 1L << 22;
    static final long CACHE_SYMLINKS = 1L << 23;
    static final long INIT_EXT = 1L << 30;
    static final long PASSTHROUGH = 1L << 37;

    // open_out flags
    static final int FOPEN_KEEP_CACHE = 1 << 1;
    static final int FOPEN_CACHE_DIR = 1 << 3;
    static final int FOPEN_NOFLUSH = 1 << 5;
    static final int FOPEN_PASSTHROUGH = 1 << 7;

    /** The kernel reads the device with at least this much room. */
    static final int MIN_READ_BUFFER = 8192;

    // struct fuse_in_header
    static final int IN_OPCODE = 4;
    static final int IN_UNIQUE = 8;
    static final int IN_NODEID = 16;
    static final int IN_HEADER_SIZE = 40;

    // struct fuse_out_header
    static final int OUT_LEN = 0;
    static final int OUT_ERROR = 4;
    static final int OUT_UNIQUE = 8;
    static final int OUT_HEADER_SIZE = 16;

    // struct fuse_attr
    static final int ATTR_INO = 0;
    static final int ATTR_SIZE = 8;
    static final int ATTR_BLOCKS = 16;
    static final int ATTR_ATIME = 24;
    static final int ATTR_MTIME = 32;
    static final int ATTR_CTIME = 40;
    static final int ATTR_MODE = 60;
    static final int ATTR_NLINK = 64;
    static final int ATTR_UID = 68;
    static final int ATTR_GID = 72;
    static final int ATTR_RDEV = 76;
    static final int ATTR_BLKSIZE = 80;
    static final int ATTR_STRUCT_SIZE = 88;

    // struct fuse_entry_out
    static final int ENTRY_NODEID = 0;
    static final int ENTRY_VALID = 16;
    static final int ENTRY_ATTR_VALID = 24;
    static final int ENTRY_VALID_NSEC = 32;
    static final int ENTRY_ATTR_VALID_NSEC = 36;
    static final int ENTRY_ATTR = 40;
    static final int ENTRY_OUT_SIZE = ENTRY_ATTR + ATTR_STRUCT_SIZE;

    // struct fuse_attr_out
    static final int ATTR_OUT_VALID = 0;
    static final int ATTR_OUT_VALID_NSEC = 8;
    static final int ATTR_OUT_ATTR = 16;
    static final int ATTR_OUT_SIZE = ATTR_OUT_ATTR + ATTR_STRUCT_SIZE;

    // struct fuse_init_in / fuse_init_out
    static final int INIT_MAJOR = 0;
    static final int INIT_MINOR = 4;
    static final int INIT_MAX_READAHEAD = 8;
    static final int INIT_FLAGS = 12;
    static final int INIT_IN_FLAGS2 = 16;
    static final int INIT_OUT_MAX_BACKGROUND = 16;
    static final int INIT_OUT_CONGESTION_THRESHOLD = 18;
    static final int INIT_OUT_MAX_WRITE = 20;
    static final int INIT_OUT_TIME_GRAN = 24;
    static final int INIT_OUT_MAX_PAGES = 28;
    static final int INIT_OUT_FLAGS2 = 32;
    static final int INIT_OUT_MAX_STACK_DEPTH = 36;
    static final int INIT_OUT_SIZE = 64;

    // struct fuse_open_in / fuse_open_out
    static final int OPEN_IN_FLAGS = 0;
    static final int OPEN_OUT_FH = 0;
    static final int OPEN_OUT_FLAGS = 8;
    static final int OPEN_OUT_BACKING_ID = 12;
    static final int OPEN_OUT_SIZE = 16;

    // struct fuse_read_in (READ, READDIR, READDIRPLUS), fuse_release_in
    static final int READ_FH = 0;
    static final int READ_OFFSET = 8;
    static final int READ_SIZE = 16;
    static final int RELEASE_FH = 0;

    // struct fuse_getxattr_in / fuse_getxattr_out
    static final int GETXATTR_SIZE = 0;
    static final int GETXATTR_IN_SIZE = 8;
    static final int GETXATTR_OUT_SIZE = 8;

    // struct fuse_access_in
    static final int ACCESS_MASK = 0;

    // struct fuse_kstatfs
    static final int STATFS_BLOCKS = 0;
    static final int STATFS_FILES = 24;
    static final int STATFS_BSIZE = 40;
    static final int STATFS_NAMELEN = 44;
    static final int STATFS_FRSIZE = 48;
    static final int STATFS_OUT_SIZE = 80;

    // struct fuse_dirent
    static final int DIRENT_INO = 0;
    static final int DIRENT_OFF = 8;
    static final int DIRENT_NAMELEN = 16;
    static final int DIRENT_TYPE = 20;
    static final int DIRENT_NAME = 24;

    private FuseProtocol() {
    }

    private static List<String> opcodeNames() {
        String[] names = new String[TMPFILE + 1];
        names[LOOKUP] = "lookup";
        names[FORGET] = "forget";
        names[GETATTR] = "getattr";
        names[READLINK] = "readlink";
        names[OPEN] = "open";
        names[READ] = "read";
        names[STATFS] = "statfs";
        names[RELEASE] = "release";
        names[GETXATTR] = "getxattr";
        names[LISTXATTR] = "listxattr";
        names[FLUSH] = "flush";
        names[INIT] = "init";
        names[OPENDIR] = "opendir";
        names[READDIR] = "readdir";
        names[RELEASEDIR] = "releasedir";
        names[ACCESS] = "access";
        names[INTERRUPT] = "interrupt";
        names[DESTROY] = "destroy";
        names[BATCH_FORGET] = "batch_forget";
        names[READDIRPLUS] = "readdirplus";
        return Arrays.asList(names);
    }

    /** A record's size rounded up to 8 bytes, as the kernel aligns directory entries. */
    static int align8(int size) {
        return (size + 7) & ~7;
    }
}
