package io.jstargz.snapshotter;

import io.jstargz.fs.binding.DirectoryEntry;
import io.jstargz.fs.binding.FilesystemStatistics;
import io.jstargz.fs.binding.FsException;
import io.jstargz.fs.binding.FuseBindings;
import io.jstargz.fs.binding.InodeOps;
import io.jstargz.fs.binding.MountHandle;
import io.jstargz.fs.binding.MountOptions;
import io.jstargz.fs.binding.NodeAttributes;
import io.jstargz.fs.binding.ReadTarget;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/**
 * A separate JVM that becomes what issue 18's probe found after a kill -9 during a mount: it takes the lock of the
 * root {@code args[0]}, mounts a filesystem at {@code args[1]} below it, and has one of its own threads look up a name
 * in that mount whose answer never comes (the fault: a handler that blocks). It prints {@code waiting on itself} once
 * the request is in its handler, that is, sent by the kernel. Killed then, it cannot exit: its looking-up thread waits
 * uninterruptibly, holding the lock.
 */
public final class ZombieRootHolder {
    private ZombieRootHolder() {
    }

    public static void main(String[] args) throws Exception {
        RootLock lock = RootLock.acquire(Path.of(args[0]), Set.of());
        MountHandle h = FuseBindings.byDefault().mount(Path.of(args[1]), new Stalling(),
                MountOptions.forLayer("zombie-holder"));
        h.awaitMounted(Duration.ofSeconds(30));
        Thread t = new Thread(() -> Files.exists(Path.of(args[1], "stalls")), "looks-into-its-own-mount");
        t.start();
        t.join();
        lock.close();
    }

    /** A root directory whose lookups never answer. */
    private static final class Stalling implements InodeOps {
        private final CountDownLatch never = new CountDownLatch(1);

        @Override
        public NodeAttributes lookup(long parent, String name) throws FsException {
            System.out.println("waiting on itself");
            System.out.flush();
            try {
                never.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw FsException.ENOENT;
        }

        @Override
        public NodeAttributes getattr(long inode) throws FsException {
            if (inode != ROOT) {
                throw FsException.ENOENT;
            }
            return new NodeAttributes(ROOT, 0040755, 2, 0, 0, 0, 0, 0, 1_600_000_000L);
        }

        @Override
        public List<DirectoryEntry> readdir(long inode) {
            return List.of();
        }

        @Override
        public String readlink(long inode) throws FsException {
            throw FsException.ENOENT;
        }

        @Override
        public long open(long inode, int flags) throws FsException {
            throw FsException.ENOENT;
        }

        @Override
        public int read(long handle, long offset, int size, ReadTarget target) throws FsException {
            throw FsException.ENOENT;
        }

        @Override
        public void release(long handle) {
        }

        @Override
        public Path backingFile(long inode) {
            return null;
        }

        @Override
        public byte[] getxattr(long inode, String name) throws FsException {
            throw FsException.ENODATA;
        }

        @Override
        public List<String> listxattr(long inode) {
            return List.of();
        }

        @Override
        public FilesystemStatistics statfs() {
            return new FilesystemStatistics(4096, 0, 1, 255);
        }
    }
}
