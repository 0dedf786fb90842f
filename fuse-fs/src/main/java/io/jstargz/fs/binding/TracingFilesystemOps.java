package io.jstargz.fs.binding;

import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Logs every operation of a filesystem, its outcome and its latency (for {@code --debug}). */
public final class TracingFilesystemOps implements FilesystemOps {
    private static final Logger log = LoggerFactory.getLogger("io.jstargz.fs.ops");

    /** One operation, run under the trace. */
    @FunctionalInterface
    private interface Op<T> {
        T run() throws FsException;
    }

    private final FilesystemOps ops;
    private final String name;

    public TracingFilesystemOps(FilesystemOps ops, String name) {
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
    public NodeAttributes getattr(String path) throws FsException {
        return trace("getattr", path, "", () -> ops.getattr(path));
    }

    @Override
    public List<DirectoryEntry> readdir(String path) throws FsException {
        return trace("readdir", path, "", () -> ops.readdir(path));
    }

    @Override
    public String readlink(String path) throws FsException {
        return trace("readlink", path, "", () -> ops.readlink(path));
    }

    @Override
    public long open(String path, int flags) throws FsException {
        return trace("open", path, " flags=0" + Integer.toOctalString(flags), () -> ops.open(path, flags));
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
    public byte[] getxattr(String path, String attribute) throws FsException {
        return trace("getxattr", path, " " + attribute, () -> ops.getxattr(path, attribute));
    }

    @Override
    public List<String> listxattr(String path) throws FsException {
        return trace("listxattr", path, "", () -> ops.listxattr(path));
    }

    @Override
    public FilesystemStatistics statfs() {
        long start = System.nanoTime();
        FilesystemStatistics s = ops.statfs();
        log.info("{}: statfs -> {} in {} us", name, s, (System.nanoTime() - start) / 1000);
        return s;
    }
}
