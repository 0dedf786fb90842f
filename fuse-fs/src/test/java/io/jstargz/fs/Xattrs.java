package io.jstargz.fs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;

/** Every namespace of extended attributes ({@code security.*} too), read with libc without following symlinks. */
final class Xattrs {
    /** The libc calls used; public only because jnr-ffi implements it. */
    public interface LibC {
        @SaveError
        long llistxattr(String path, @Out byte[] list, long size);

        @SaveError
        long lgetxattr(String path, String name, @Out byte[] value, long size);
    }

    private static final LibC LIBC = LibraryLoader.create(LibC.class).load("c");

    private Xattrs() {
    }

    private static final int EINVAL = 22;
    private static final int EOPNOTSUPP = 95;

    /**
     * Name to raw value, sorted by name. A value the kernel refuses to pass on is null: it validates
     * {@code security.capability} itself and answers EINVAL for a malformed one, whatever the filesystem holds.
     */
    static Map<String, byte[]> read(Path path) throws IOException {
        Map<String, byte[]> out = new TreeMap<>();
        for (String name : list(path)) {
            byte[] value = new byte[65536];
            long n = LIBC.lgetxattr(path.toString(), name, value, value.length);
            if (n < 0) {
                int errno = errno();
                if (errno == EINVAL && name.equals("security.capability")) {
                    out.put(name, null);
                    continue;
                }
                throw new IOException("lgetxattr " + path + " " + name + ": errno " + errno);
            }
            byte[] v = new byte[(int) n];
            System.arraycopy(value, 0, v, 0, v.length);
            out.put(name, v);
        }
        return out;
    }

    static List<String> list(Path path) throws IOException {
        byte[] buf = new byte[65536];
        long n = LIBC.llistxattr(path.toString(), buf, buf.length);
        if (n < 0 && errno() == EOPNOTSUPP) {
            return List.of(); // a filesystem without attributes (a layer that has none answers so)
        }
        if (n < 0) {
            throw new IOException("llistxattr " + path + ": errno " + errno());
        }
        List<String> names = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < n; i++) {
            if (buf[i] == 0) {
                names.add(new String(buf, start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        return names;
    }

    private static int errno() {
        return LastError.getLastError(Runtime.getRuntime(LIBC));
    }
}
