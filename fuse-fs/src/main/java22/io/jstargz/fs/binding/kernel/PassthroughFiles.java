package io.jstargz.fs.binding.kernel;

import io.jstargz.fs.binding.InodeOps;
import io.jstargz.fs.binding.KeptConnection;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which open regular files of a mount the kernel reads itself (FUSE passthrough), by inode.
 *
 * <p>The kernel wants every open file of an inode in one mode at a time: all passed through to one backing file, or
 * all served by the daemon; a mix is the server's mistake and the open fails with EIO. So the mode is chosen when an
 * inode goes from no open file to one, and kept while any stays open: the first open of a file that has a local copy
 * ({@link InodeOps#backingFile}) registers the copy with the kernel ({@code FUSE_DEV_IOC_BACKING_OPEN}), later opens
 * share that backing id, and the last release unregisters it. A release reaches the daemon after the kernel has let
 * go of the file, so these counts are never below the kernel's, and the modes never mix there either.
 *
 * <p>If the kernel refuses a backing file (no privilege, or a copy on a stacked filesystem), the mount stops trying
 * and serves every file itself; the log says so once.
 */
final class PassthroughFiles {
    private static final Logger log = LoggerFactory.getLogger(PassthroughFiles.class);

    /** An inode with open files: its backing id (0: served by the daemon) and how many are open. */
    private record OpenInode(int backingId, int count) {
    }

    private final InodeOps ops;
    private final FuseDevice device;
    private final String fsName;
    private final ConcurrentHashMap<Long, OpenInode> open = new ConcurrentHashMap<>();
    private final AtomicBoolean refused = new AtomicBoolean();

    PassthroughFiles(InodeOps ops, FuseDevice device, String fsName) {
        this.ops = ops;
        this.device = device;
        this.fsName = fsName;
    }

    /** The inodes with open files now, and how they are read: for the server a mount is handed over to. */
    List<KeptConnection.OpenInode> openInodes() {
        List<KeptConnection.OpenInode> out = new ArrayList<>();
        open.forEach((inode, o) -> out.add(new KeptConnection.OpenInode(inode, o.backingId(), o.count())));
        return out;
    }

    /** Goes on from the open inodes of the server this mount was handed over from, as it left them. */
    void adopted(List<KeptConnection.OpenInode> inodes) {
        for (KeptConnection.OpenInode o : inodes) {
            open.put(o.inode(), new OpenInode(o.backingId(), o.openFiles()));
        }
    }

    /** One more open file of {@code inode}: the backing id to pass it through with, or 0 to serve it. */
    int opened(long inode) {
        return open.compute(inode, (k, o) -> o == null ? new OpenInode(register(inode), 1)
                : new OpenInode(o.backingId(), o.count() + 1)).backingId();
    }

    /** One open file of {@code inode} less. */
    void released(long inode) {
        open.computeIfPresent(inode, (k, o) -> {
            if (o.count() > 1) {
                return new OpenInode(o.backingId(), o.count() - 1);
            }
            if (o.backingId() > 0) {
                try {
                    device.closeBacking(o.backingId());
                } catch (IOException e) {
                    log.warn("{}: cannot unregister the backing file of inode {}: {}", fsName, inode,
                            e.getMessage());
                }
            }
            return null;
        });
    }

    private int register(long inode) {
        if (refused.get()) {
            return 0;
        }
        Path copy = ops.backingFile(inode);
        if (copy == null) {
            return 0;
        }
        try {
            return device.openBacking(copy);
        } catch (IOException e) {
            if (refused.compareAndSet(false, true)) {
                log.warn("{}: the kernel refused {} as a passthrough backing file ({}); this mount serves every"
                        + " read itself from now on", fsName, copy, e.getMessage());
            }
            return 0;
        }
    }
}
