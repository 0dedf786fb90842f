package io.jstargz.fs.binding.kernel;

import io.jstargz.fs.binding.InodeOps;
import io.jstargz.fs.binding.KeptConnection;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
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
 * <p>The kernel keeps the backing ids and the open files across a crash of the server, so the table is also kept on
 * disk beside the mount point ({@link OpenInodeTable}), in the order that is right whenever the process dies: an open
 * registers its backing id, then records it, then is answered; the last release removes the record, then closes the
 * backing id. A crash between the steps leaks at most a backing id until the connection ends, and never leaves a
 * record of one that was closed. A server adopting the connection goes on from the table a handover sent, or else
 * from that file.
 *
 * <p>If the kernel refuses a backing file (no privilege, or a copy on a stacked filesystem), the mount stops trying
 * and serves every file itself; the log says so once.
 */
final class PassthroughFiles {
    private static final Logger log = LoggerFactory.getLogger(PassthroughFiles.class);
    /** The slot of an inode that is not in the table on disk. */
    private static final int NO_SLOT = -1;

    /** An inode with open files: its backing id (0: served by the daemon), how many are open, its slot on disk. */
    private record OpenInode(int backingId, int count, int slot) {
    }

    private final InodeOps ops;
    private final FuseDevice device;
    private final String fsName;
    private final Path mountPoint;
    private final ConcurrentHashMap<Long, OpenInode> open = new ConcurrentHashMap<>();
    private final AtomicBoolean refused = new AtomicBoolean();
    /** The table on disk, while it is kept; null before, after, or if it could not be made. */
    private volatile OpenInodeTable table;
    private final AtomicBoolean tableLost = new AtomicBoolean();

    PassthroughFiles(InodeOps ops, FuseDevice device, String fsName, Path mountPoint) {
        this.ops = ops;
        this.device = device;
        this.fsName = fsName;
        this.mountPoint = mountPoint;
    }

    /** The inodes with open files now, and how they are read: for the server a mount is handed over to. */
    List<KeptConnection.OpenInode> openInodes() {
        List<KeptConnection.OpenInode> out = new ArrayList<>();
        open.forEach((inode, o) -> out.add(new KeptConnection.OpenInode(inode, o.backingId(), o.count())));
        return out;
    }

    /** A new connection: starts the table on disk, empty. Call before the first open is served. */
    void started() {
        keep(List.of());
    }

    /**
     * Goes on from the open inodes of the server this mount was handed over from ({@code handedOver}), or, when
     * there is no such list (the last server crashed), from the table it kept on disk. Call before serving.
     */
    void adopted(Optional<List<KeptConnection.OpenInode>> handedOver) {
        List<KeptConnection.OpenInode> inodes = handedOver.orElseGet(this::savedTable);
        keep(inodes);
        for (int i = 0; i < inodes.size(); i++) {
            KeptConnection.OpenInode o = inodes.get(i);
            open.put(o.inode(), new OpenInode(o.backingId(), o.openFiles(), table == null ? NO_SLOT : i));
        }
    }

    private List<KeptConnection.OpenInode> savedTable() {
        try {
            return OpenInodeTable.read(mountPoint);
        } catch (NoSuchFileException e) {
            log.warn("{}: no table of open inodes for {} ({}): a file held open since before the crash may fail to"
                    + " open again", fsName, mountPoint, e.getFile());
        } catch (IOException e) {
            log.warn("{}: cannot go on from the open inodes of {}, a file held open since before the crash may fail"
                    + " to open again: {}", fsName, mountPoint, e.getMessage());
        }
        return List.of();
    }

    private void keep(List<KeptConnection.OpenInode> inodes) {
        try {
            table = OpenInodeTable.create(mountPoint, inodes);
        } catch (IOException e) {
            log.warn("{}: cannot keep the table of open inodes of {} on disk, a crash of the daemon will lose it: {}",
                    fsName, mountPoint, e.getMessage());
        }
    }

    /** One more open file of {@code inode}: the backing id to pass it through with, or 0 to serve it. */
    int opened(long inode) {
        return open.compute(inode, (k, o) -> {
            if (o == null) {
                int backingId = register(inode);
                return new OpenInode(backingId, 1, record(inode, backingId));
            }
            OpenInode more = new OpenInode(o.backingId(), o.count() + 1, o.slot());
            recount(more);
            return more;
        }).backingId();
    }

    /** One open file of {@code inode} less. */
    void released(long inode) {
        open.computeIfPresent(inode, (k, o) -> {
            if (o.count() > 1) {
                OpenInode fewer = new OpenInode(o.backingId(), o.count() - 1, o.slot());
                recount(fewer);
                return fewer;
            }
            OpenInodeTable t = table;
            if (t != null && o.slot() != NO_SLOT) {
                t.remove(o.slot());
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

    private int record(long inode, int backingId) {
        OpenInodeTable t = table;
        if (t == null) {
            return NO_SLOT;
        }
        try {
            return t.add(inode, backingId, 1);
        } catch (IOException e) {
            // a table that misses an open inode would mislead the next server: none is better (stores into the
            // unlinked file go on harmlessly until the mount ends)
            if (tableLost.compareAndSet(false, true)) {
                log.warn("{}: cannot record an open inode of {} on disk, so its table is given up, and a crash of the"
                        + " daemon will lose it: {}", fsName, mountPoint, e.getMessage());
                try {
                    t.unlink();
                } catch (IOException again) {
                    log.warn("{}: cannot remove the table of open inodes of {}: {}", fsName, mountPoint,
                            again.getMessage());
                }
            }
            return NO_SLOT;
        }
    }

    private void recount(OpenInode o) {
        OpenInodeTable t = table;
        if (t != null && o.slot() != NO_SLOT) {
            t.count(o.slot(), o.count());
        }
    }

    /**
     * Stops keeping the table on disk, when no request is served any more: the file is removed when the mount has
     * ended ({@code delete}), and left for the next server when the connection was handed over.
     */
    void stopKeeping(boolean delete) {
        OpenInodeTable t = table;
        table = null;
        if (t == null) {
            return;
        }
        try {
            if (delete) {
                t.delete();
            } else {
                t.close();
            }
        } catch (IOException e) {
            log.warn("{}: cannot close the table of open inodes of {}: {}", fsName, mountPoint, e.getMessage());
        }
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
