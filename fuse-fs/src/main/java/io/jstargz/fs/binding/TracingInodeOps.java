package io.jstargz.fs.binding;

import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Logs every operation of a filesystem, its outcome and its latency (for {@code --debug}). */
public final class TracingInodeOps implements InodeOps {
    private static final Logger log = LoggerFactory.getLogger("io.jstargz.fs.ops");

    /** One operation, run under the trace. */
    @FunctionalInterface
    private interface Op<T> {
        T run() throws FsException;
    }

    private final InodeOps ops;
    private final String name;

    public TracingInodeOps(InodeOps ops, String name) {
        this.ops = ops;
        this.name = name;
    }

    private <T> T trace(String op, Object subject, Object args, Op<T> body) throws FsException {
        long start = System.nanoTime();
        try {
            T result = body.run();
            log.info("{}: {} {}{} -> {} in {} us", name, op, subject, args, shown(result),
                    (System.nanoTime() - start) / 1000);
            return result;
        } catch (FsException e) {
            log.info("{}: {} {}{} -> {} in {} us", name, op, subject, args, e.errno(),
                    (System.nanoTime() - start) / 1000);
            throw e;
        }
    }

    private static Object shown(Object result) {
        if (result instanceof List<?> list) {
            return list.size() + " entries";
        }
        if (result instanceof byte[] bytes) {
            return bytes.length + " bytes";
        }
        return result;
    }

    @Override
    public NodeAttributes lookup(long parent, String name) throws FsException {
        return trace("lookup", parent, " " + name, () -> ops.lookup(parent, name));
    }

    @Override
    public NodeAttributes getattr(long inode) throws FsException {
        return trace("getattr", inode, "", () -> ops.getattr(inode));
    }

    @Override
    public List<DirectoryEntry> readdir(long inode) throws FsException {
        return trace("readdir", inode, "", () -> ops.readdir(inode));
    }

    @Override
    public String readlink(long inode) throws FsException {
        return trace("readlink", inode, "", () -> ops.readlink(inode));
    }

    @Override
    public long open(long inode, int flags) throws FsException {
        return trace("open", inode, " flags=0" + Integer.toOctalString(flags), () -> ops.open(inode, flags));
    }

    @Override
    public int read(long handle, long offset, int size, ReadTarget target) throws FsException {
        return trace("read", "#" + handle, " offset=" + offset + " size=" + size,
                () -> ops.read(handle, offset, size, target));
    }

    @Override
    public void release(long handle) {
        long start = System.nanoTime();
        ops.release(handle);
        log.info("{}: release #{} in {} us", name, handle, (System.nanoTime() - start) / 1000);
    }

    @Override
    public Path backingFile(long inode) {
        Path p = ops.backingFile(inode);
        log.info("{}: backingFile {} -> {}", name, inode, p);
        return p;
    }

    @Override
    public byte[] getxattr(long inode, String attribute) throws FsException {
        return trace("getxattr", inode, " " + attribute, () -> ops.getxattr(inode, attribute));
    }

    @Override
    public List<String> listxattr(long inode) throws FsException {
        return trace("listxattr", inode, "", () -> ops.listxattr(inode));
    }

    @Override
    public FilesystemStatistics statfs() {
        long start = System.nanoTime();
        FilesystemStatistics s = ops.statfs();
        log.info("{}: statfs -> {} in {} us", name, s, (System.nanoTime() - start) / 1000);
        return s;
    }
}
