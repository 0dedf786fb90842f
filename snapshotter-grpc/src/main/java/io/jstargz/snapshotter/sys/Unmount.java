package io.jstargz.snapshotter.sys;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.SaveError;

/** umount2(2), and unmounting whole trees. */
public final class Unmount {
    private static final int MNT_DETACH = 2;
    private static final int EINVAL = 22;
    private static final int ENOENT = 2;

    /** The libc function used; public only because jnr-ffi implements it. */
    public interface LibC {
        @SaveError
        int umount2(String target, int flags);
    }

    private static final LibC LIBC = LibraryLoader.create(LibC.class).load("c");

    private Unmount() {
    }

    /**
     * Detaches the mount at {@code mountPoint} (lazily: busy mounts go once no longer used, as
     * {@code umount -l}). Nothing mounted there is not an error.
     */
    public static void detach(Path mountPoint) throws IOException {
        if (LIBC.umount2(mountPoint.toString(), MNT_DETACH) != 0) {
            int errno = LastError.getLastError(Runtime.getRuntime(LIBC));
            if (errno == EINVAL || errno == ENOENT) {
                return; // not a mount point, or already gone
            }
            throw new IOException("umount2 " + mountPoint + " failed: errno " + errno);
        }
    }

    /** Detaches every mount at or below {@code dir}, deepest first; returns the mount points it detached. */
    public static List<Path> detachAllUnder(Path dir) throws IOException {
        List<Path> mounts = MountTable.mountPointsUnder(dir);
        for (Path mp : mounts) {
            detach(mp);
        }
        return mounts;
    }
}
