package io.jstargz.fs.binding.jnr;

import io.jstargz.fs.binding.DirectoryEntry;
import io.jstargz.fs.binding.Errno;
import io.jstargz.fs.binding.FilesystemOps;
import io.jstargz.fs.binding.FilesystemStatistics;
import io.jstargz.fs.binding.FsException;
import io.jstargz.fs.binding.NodeAttributes;
import io.jstargz.fs.binding.OperationStats;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.Struct;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import ru.serce.jnrfuse.ErrorCodes;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.Statvfs;

/**
 * Serves a {@link FilesystemOps} through jnr-fuse's libfuse 2 high-level API: translates each upcall into a call of
 * the operations and their answers into libfuse structures and negative errno values. Never lets an exception reach
 * native code (an unexpected one is logged and answered with EIO). Each upcall is counted and timed in
 * {@link #operations()}, under libfuse's names for them.
 */
final class JnrFilesystemAdapter extends FuseStubFS {
    private static final Logger log = LoggerFactory.getLogger(JnrFilesystemAdapter.class);
    private static final int BLOCK_SIZE = 4096;
    private static final int STAT_SIZE = Struct.size(new FileStat(Runtime.getSystemRuntime()));

    /** Where {@code max_readahead} is in libfuse 2's {@code struct fuse_conn_info} (after four unsigned ints). */
    private static final int CONN_MAX_READAHEAD = 16;

    private final FilesystemOps ops;
    private final String name;
    private final int readAheadBytes;
    private volatile Runnable onInit = () -> { };
    private final OperationStats operations = new OperationStats();
    private final OperationStats.Counter getattrs = operations.counter("getattr");
    private final OperationStats.Counter readlinks = operations.counter("readlink");
    private final OperationStats.Counter opens = operations.counter("open");
    private final OperationStats.Counter reads = operations.counter("read");
    private final OperationStats.Counter releases = operations.counter("release");
    private final OperationStats.Counter opendirs = operations.counter("opendir");
    private final OperationStats.Counter readdirs = operations.counter("readdir");
    private final OperationStats.Counter releasedirs = operations.counter("releasedir");
    private final OperationStats.Counter getxattrs = operations.counter("getxattr");
    private final OperationStats.Counter listxattrs = operations.counter("listxattr");
    private final OperationStats.Counter statfses = operations.counter("statfs");

    /** {@code readAheadBytes}: the mount's readahead, answered at INIT ({@link #init}); 0 keeps the kernel's. */
    JnrFilesystemAdapter(FilesystemOps ops, String name, int readAheadBytes) {
        this.ops = ops;
        this.name = name;
        this.readAheadBytes = readAheadBytes;
    }

    /** Runs {@code action} when the kernel's INIT request has been handled: the mount then serves requests. */
    void onInit(Runnable action) {
        onInit = action;
    }

    OperationStats operations() {
        return operations;
    }

    /** Runs libfuse's mount and request loop in the calling thread until the filesystem is unmounted. */
    int serve(String[] args) {
        return libFuse.fuse_main_real(args.length, args, fuseOperations, Struct.size(fuseOperations), null);
    }

    /**
     * Answers INIT with the mount's readahead where it is larger than the kernel's offer (libfuse answers what
     * {@code conn} holds once this returns). The kernel sets the mount's readahead to the smaller of that answer and
     * what it has when the answer arrives, which can be after the mount's handle wrote the options' readahead to
     * sysfs; answering the kernel's offer (its 128 KiB default) then undid that write.
     */
    @Override
    public Pointer init(Pointer conn) {
        if (conn != null && Integer.compareUnsigned(conn.getInt(CONN_MAX_READAHEAD), readAheadBytes) < 0) {
            conn.putInt(CONN_MAX_READAHEAD, readAheadBytes);
        }
        onInit.run();
        return null;
    }

    @Override
    public int getattr(String path, FileStat stat) {
        long start = getattrs.start();
        try {
            fill(stat, ops.getattr(path));
            return 0;
        } catch (FsException e) {
            return -errno(e.errno());
        } catch (RuntimeException e) {
            return unexpected("getattr", path, e);
        } finally {
            getattrs.record(start);
        }
    }

    @Override
    public int readlink(String path, Pointer buf, long size) {
        long start = readlinks.start();
        try {
            byte[] target = ops.readlink(path).getBytes(StandardCharsets.UTF_8);
            if (size <= 0) {
                return -ErrorCodes.ERANGE();
            }
            int n = (int) Math.min(target.length, size - 1);
            buf.put(0, target, 0, n);
            buf.putByte(n, (byte) 0);
            return 0;
        } catch (FsException e) {
            return -errno(e.errno());
        } catch (RuntimeException e) {
            return unexpected("readlink", path, e);
        } finally {
            readlinks.record(start);
        }
    }

    @Override
    public int open(String path, FuseFileInfo fi) {
        long start = opens.start();
        try {
            fi.fh.set(ops.open(path, fi.flags.get()));
            return 0;
        } catch (FsException e) {
            return -errno(e.errno());
        } catch (RuntimeException e) {
            return unexpected("open", path, e);
        } finally {
            opens.record(start);
        }
    }

    @Override
    public int read(String path, Pointer buf, long size, long offset, FuseFileInfo fi) {
        long start = reads.start();
        try {
            return ops.read(fi.fh.get(), offset, (int) Math.min(size, Integer.MAX_VALUE),
                    (at, src, srcOffset, length) -> buf.put(at, src, srcOffset, length));
        } catch (FsException e) {
            return -errno(e.errno());
        } catch (RuntimeException e) {
            return unexpected("read", path, e);
        } finally {
            reads.record(start);
        }
    }

    @Override
    public int release(String path, FuseFileInfo fi) {
        long start = releases.start();
        try {
            ops.release(fi.fh.get());
            return 0;
        } catch (RuntimeException e) {
            return unexpected("release", path, e);
        } finally {
            releases.record(start);
        }
    }

    @Override
    public int opendir(String path, FuseFileInfo fi) {
        long start = opendirs.start();
        try {
            NodeAttributes a = ops.getattr(path);
            return a.isDirectory() ? 0 : -ErrorCodes.ENOTDIR();
        } catch (FsException e) {
            return -errno(e.errno());
        } catch (RuntimeException e) {
            return unexpected("opendir", path, e);
        } finally {
            opendirs.record(start);
        }
    }

    @Override
    public int readdir(String path, Pointer buf, FuseFillDir filler, long offset, FuseFileInfo fi) {
        long start = readdirs.start();
        try {
            List<DirectoryEntry> entries = ops.readdir(path);
            Pointer statMemory = Memory.allocateDirect(Runtime.getSystemRuntime(), STAT_SIZE, true);
            FileStat stat = FileStat.of(statMemory);
            fill(stat, ops.getattr(path));
            if (filler.apply(buf, cString("."), statMemory, 0) != 0) {
                return 0;
            }
            filler.apply(buf, cString(".."), null, 0);
            for (DirectoryEntry e : entries) {
                fill(stat, e.attributes());
                if (filler.apply(buf, cString(e.name()), statMemory, 0) != 0) {
                    break;
                }
            }
            return 0;
        } catch (FsException e) {
            return -errno(e.errno());
        } catch (RuntimeException e) {
            return unexpected("readdir", path, e);
        } finally {
            readdirs.record(start);
        }
    }

    @Override
    public int releasedir(String path, FuseFileInfo fi) {
        releasedirs.record(System.nanoTime());
        return 0;
    }

    @Override
    public int getxattr(String path, String attribute, Pointer value, long size) {
        long start = getxattrs.start();
        try {
            byte[] v = ops.getxattr(path, attribute);
            return copyOut(v, value, size);
        } catch (FsException e) {
            return -errno(e.errno());
        } catch (RuntimeException e) {
            return unexpected("getxattr", path, e);
        } finally {
            getxattrs.record(start);
        }
    }

    @Override
    public int listxattr(String path, Pointer list, long size) {
        long start = listxattrs.start();
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (String n : ops.listxattr(path)) {
                out.writeBytes(n.getBytes(StandardCharsets.UTF_8));
                out.write(0);
            }
            return copyOut(out.toByteArray(), list, size);
        } catch (FsException e) {
            return -errno(e.errno());
        } catch (RuntimeException e) {
            return unexpected("listxattr", path, e);
        } finally {
            listxattrs.record(start);
        }
    }

    @Override
    public int statfs(String path, Statvfs st) {
        long start = statfses.start();
        try {
            FilesystemStatistics s = ops.statfs();
            st.f_bsize.set(s.blockSize());
            st.f_frsize.set(s.blockSize());
            st.f_blocks.set(s.blocks());
            st.f_bfree.set(0);
            st.f_bavail.set(0);
            st.f_files.set(s.files());
            st.f_ffree.set(0);
            st.f_favail.set(0);
            st.f_namemax.set(s.nameMax());
            return 0;
        } catch (RuntimeException e) {
            return unexpected("statfs", path, e);
        } finally {
            statfses.record(start);
        }
    }

    private static int copyOut(byte[] v, Pointer to, long size) {
        if (size == 0) {
            return v.length;
        }
        if (size < v.length) {
            return -ErrorCodes.ERANGE();
        }
        to.put(0, v, 0, v.length);
        return v.length;
    }

    private static void fill(FileStat stat, NodeAttributes a) {
        stat.st_ino.set(a.inode());
        stat.st_mode.set(a.mode());
        stat.st_nlink.set(a.linkCount());
        stat.st_uid.set(a.uid());
        stat.st_gid.set(a.gid());
        stat.st_rdev.set(makedev(a.deviceMajor(), a.deviceMinor()));
        stat.st_size.set(a.size());
        stat.st_blksize.set(BLOCK_SIZE);
        stat.st_blocks.set((a.size() + 511) / 512);
        stat.st_mtim.tv_sec.set(a.mtimeSeconds());
        stat.st_mtim.tv_nsec.set(0);
        stat.st_atim.tv_sec.set(a.mtimeSeconds());
        stat.st_atim.tv_nsec.set(0);
        stat.st_ctim.tv_sec.set(a.mtimeSeconds());
        stat.st_ctim.tv_nsec.set(0);
    }

    /** glibc's {@code makedev}. */
    static long makedev(long major, long minor) {
        return (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xffL) << 12) | ((major & ~0xfffL) << 32);
    }

    /** A NUL-terminated UTF-8 name, as libfuse's filler reads it. */
    private static ByteBuffer cString(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        byte[] z = new byte[b.length + 1];
        System.arraycopy(b, 0, z, 0, b.length);
        return ByteBuffer.wrap(z);
    }

    private int unexpected(String op, String path, RuntimeException e) {
        log.error("{}: {} {} failed unexpectedly", name, op, path, e);
        return -ErrorCodes.EIO();
    }

    static int errno(Errno e) {
        return switch (e) {
            case ENOENT -> ErrorCodes.ENOENT();
            case ENOTDIR -> ErrorCodes.ENOTDIR();
            case EISDIR -> ErrorCodes.EISDIR();
            case EIO -> ErrorCodes.EIO();
            case ENODATA -> ErrorCodes.ENODATA();
            case ERANGE -> ErrorCodes.ERANGE();
            case EROFS -> ErrorCodes.EROFS();
            case EINVAL -> ErrorCodes.EINVAL();
            case EBADF -> ErrorCodes.EBADF();
            case ENOSYS -> ErrorCodes.ENOSYS();
        };
    }
}
