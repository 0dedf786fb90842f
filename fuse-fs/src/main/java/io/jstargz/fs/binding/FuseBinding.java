package io.jstargz.fs.binding;

import java.io.IOException;
import java.nio.file.Path;

/** A way to serve a {@link FilesystemOps} through the kernel's FUSE device (jnr-fuse today; others may follow). */
public interface FuseBinding {

    /**
     * Starts mounting {@code ops} at {@code mountPoint}, an existing directory. A stale FUSE mount left there by a
     * process that died is detached first. Returns at once; {@link MountHandle#awaitMounted} waits for the mount.
     *
     * @throws IOException if the mount point is unusable or the mount cannot be started
     */
    MountHandle mount(Path mountPoint, FilesystemOps ops, MountOptions options) throws IOException;
}
