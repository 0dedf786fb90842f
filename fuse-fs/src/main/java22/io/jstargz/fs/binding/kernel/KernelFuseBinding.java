package io.jstargz.fs.binding.kernel;

import io.jstargz.fs.binding.ConnectionInbox;
import io.jstargz.fs.binding.FuseBinding;
import io.jstargz.fs.binding.InodeOps;
import io.jstargz.fs.binding.KeptConnection;
import io.jstargz.fs.binding.MountHandle;
import io.jstargz.fs.binding.MountOptions;
import io.jstargz.fs.binding.linux.FuseMounts;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The binding that speaks the kernel's FUSE protocol itself on {@code /dev/fuse} through the FFM API (JDK 22+), as
 * go-fuse does, with no libfuse: requests reach Java on threads that wait in read(2) rather than as JNI upcalls,
 * reads go up to 1 MiB, and the kernel's newer features (readdirplus, parallel directory operations, symlink
 * caching) are asked for at INIT. Mounts are made with mount(2), as root. Mounts are read-only, keep setuid bits
 * (images carry setuid binaries) and do not update access times.
 */
public final class KernelFuseBinding implements FuseBinding {
    /**
     * Worker threads per mount at most: enough that reads waiting for the registry do not hold up other requests. A
     * mount starts with one and grows only as far as its requests run at once ({@link KernelMountHandle}).
     */
    static final int WORKERS = 16;
    private static final long S_IFDIR = 0040000;

    @Override
    public String name() {
        return "kernel";
    }

    @Override
    public MountHandle mount(Path mountPoint, InodeOps ops, MountOptions options) throws IOException {
        FuseDevice device = FuseDevice.open();
        Path dir;
        try {
            dir = FuseMounts.prepare(mountPoint, options);
        } catch (IOException | RuntimeException e) {
            device.close();
            throw e;
        }
        KernelMountHandle handle = new KernelMountHandle(dir, ops, options, device, WORKERS);
        try {
            mount(device, dir, options);
        } catch (IOException | RuntimeException e) {
            handle.abandon(e instanceof IOException io ? io : new IOException(e.getMessage(), e));
            throw e;
        }
        handle.start();
        return handle;
    }

    @Override
    public MountHandle adopt(Path mountPoint, int fd, KeptConnection kept, InodeOps ops, MountOptions options)
            throws IOException {
        Path dir = FuseMounts.adoptable(mountPoint, options);
        KernelMountHandle handle = new KernelMountHandle(dir, ops, options, FuseDevice.adopt(fd), WORKERS);
        handle.adopt(kept);
        return handle;
    }

    @Override
    public ConnectionInbox openInbox(Path path) throws IOException {
        FdMessages.Inbox inbox = FdMessages.Inbox.bind(path);
        return new ConnectionInbox() {
            @Override
            public Notification receive(Duration timeout) throws IOException {
                FdMessages.Message m = inbox.receive(timeout);
                return new Notification(m.text().lines().toList(), m.fds());
            }

            @Override
            public void close() throws IOException {
                inbox.close();
            }
        };
    }

    private static void mount(FuseDevice device, Path dir, MountOptions o) throws IOException {
        long flags = Libc.MS_RDONLY | Libc.MS_NODEV | Libc.MS_NOATIME;
        StringBuilder data = new StringBuilder("fd=").append(device.fd())
                .append(",rootmode=").append(Long.toOctalString(S_IFDIR))
                .append(",user_id=").append(Integer.toUnsignedString(Libc.geteuid()))
                .append(",group_id=").append(Integer.toUnsignedString(Libc.getegid()))
                .append(",max_read=").append(o.maxRead());
        if (o.allowOther()) {
            data.append(",allow_other");
        }
        if (o.defaultPermissions()) {
            data.append(",default_permissions");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.newCallState(arena);
            int rc = Libc.mount(state, arena.allocateFrom(o.fsName()), arena.allocateFrom(dir.toString()),
                    arena.allocateFrom(FuseMounts.fsType(o)), flags, arena.allocateFrom(data.toString()));
            if (rc != 0) {
                throw Libc.error("mount(2) of " + o.fsName() + " at " + dir, Libc.errno(state));
            }
        }
    }
}
