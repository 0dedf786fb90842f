package io.jstargz.fs.binding;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** A tiny fixed tree for binding tests: {@code /}, {@code /hello.txt}, {@code /dir/}, {@code /link -> hello.txt}. */
final class MemoryTree implements FilesystemOps {
    static final byte[] HELLO = "hello from jstargz\n".getBytes(StandardCharsets.UTF_8);

    private final Map<String, NodeAttributes> nodes = new TreeMap<>();

    MemoryTree() {
        nodes.put("/", new NodeAttributes(1, 0040755, 3, 0, 0, 0, 0, 0, 1_600_000_000L));
        nodes.put("/hello.txt", new NodeAttributes(2, 0100644, 1, 1000, 1000, 0, 0, HELLO.length, 1_600_000_001L));
        nodes.put("/dir", new NodeAttributes(3, 0041777, 2, 0, 0, 0, 0, 0, 1_600_000_002L));
        nodes.put("/link", new NodeAttributes(4, 0120777, 1, 0, 0, 0, 0, 9, 1_600_000_003L));
    }

    @Override
    public NodeAttributes getattr(String path) throws FsException {
        NodeAttributes a = nodes.get(path);
        if (a == null) {
            throw FsException.ENOENT;
        }
        return a;
    }

    @Override
    public List<DirectoryEntry> readdir(String path) throws FsException {
        if (!getattr(path).isDirectory()) {
            throw new FsException(Errno.ENOTDIR, path);
        }
        List<DirectoryEntry> out = new ArrayList<>();
        String prefix = path.equals("/") ? "/" : path + "/";
        nodes.forEach((p, a) -> {
            if (p.startsWith(prefix) && p.length() > prefix.length() && p.indexOf('/', prefix.length()) < 0) {
                out.add(new DirectoryEntry(p.substring(prefix.length()), a));
            }
        });
        return out;
    }

    @Override
    public String readlink(String path) throws FsException {
        if (!path.equals("/link")) {
            throw new FsException(Errno.EINVAL, path);
        }
        return "hello.txt";
    }

    @Override
    public long open(String path, int flags) throws FsException {
        if (!path.equals("/hello.txt")) {
            throw FsException.ENOENT;
        }
        return 2;
    }

    @Override
    public int read(long handle, long offset, int size, ReadTarget target) {
        int n = (int) Math.max(0, Math.min(size, HELLO.length - offset));
        target.put(0, HELLO, (int) offset, n);
        return n;
    }

    @Override
    public void release(long handle) {
    }

    @Override
    public byte[] getxattr(String path, String name) throws FsException {
        if (path.equals("/hello.txt") && name.equals("user.comment")) {
            return "greeting".getBytes(StandardCharsets.UTF_8);
        }
        getattr(path);
        throw FsException.ENODATA;
    }

    @Override
    public List<String> listxattr(String path) throws FsException {
        getattr(path);
        return path.equals("/hello.txt") ? List.of("user.comment") : List.of();
    }

    @Override
    public FilesystemStatistics statfs() {
        return new FilesystemStatistics(4096, 1, nodes.size(), 255);
    }
}
