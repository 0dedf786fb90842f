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

    /**
     * Serves {@code ops} on the mount at {@code mountPoint} whose connection another process kept: {@code fd} is that
     * connection's {@code /dev/fuse} descriptor, open in this process, and {@code kept} what its INIT settled. The
     * mount is served from now on; requests that waited while nobody served it are answered.
     *
     * @throws IOException if this binding cannot adopt mounts (jnr-fuse: libfuse owns its connections)
     */
    default MountHandle adopt(Path mountPoint, int fd, KeptConnection kept, InodeOps ops, MountOptions options)
            throws IOException {
        throw new IOException("the " + name() + " FUSE binding cannot adopt the mount at " + mountPoint
                + ": only the kernel binding (JDK 22+) can");
    }

    /**
     * Binds a socket at {@code path} that receives kept connections ({@link MountHandle#keep}).
     *
     * @throws IOException if this binding cannot pass connections between processes (jnr-fuse)
     */
    default ConnectionInbox openInbox(Path path) throws IOException {
        throw new IOException("the " + name() + " FUSE binding cannot receive FUSE connections: only the kernel"
                + " binding (JDK 22+) can");
    }
}
