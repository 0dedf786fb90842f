package io.jstargz.fs.binding;

import java.io.IOException;
import java.nio.file.Path;

/** A way to serve an {@link InodeOps} through the kernel's FUSE device; {@link FuseBindings} chooses one. */
public interface FuseBinding {

    /** The binding's name, as configured and as logs and status show it ({@code kernel}, {@code jnr}). */
    String name();

    /**
     * Starts mounting {@code ops} at {@code mountPoint}, an existing directory. A stale FUSE mount left there by a
     * process that died is detached first. Returns at once; {@link MountHandle#awaitMounted} waits for the mount.
     *
     * @throws IOException if the mount point is unusable or the mount cannot be started
     */
    MountHandle mount(Path mountPoint, InodeOps ops, MountOptions options) throws IOException;
}
