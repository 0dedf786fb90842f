package io.jstargz.snapshotter;

import io.jstargz.concurrent.Futures;
import io.jstargz.fs.binding.linux.FuseMounts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One daemon's claim on a root: a POSIX lock on {@code <root>/lock}, which holds the owner's pid. Two daemons on one
 * root would both believe they own its snapshots.
 *
 * <p>A lock held by a dying process is not a live daemon. A daemon killed while one of its threads waits on a FUSE
 * mount it serves itself cannot finish dying: the thread waits uninterruptibly for an answer that none of its own,
 * now dead, threads will give, and the zombie keeps its lock, its socket and its mounts. The probe of issue 18 found
 * this after a kill -9 during a mount. So when the lock is held by a process that is being killed, the connections of
 * the FUSE mounts under the root (only the holder can serve them) are aborted: the stuck wait ends with ENOTCONN, the
 * process exits, and its lock is taken as the kernel releases it.
 */
final class RootLock implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RootLock.class);
    /** How long a dying holder may take to exit once its FUSE connections are aborted. */
    private static final Duration DYING_HOLDER_WAIT = Duration.ofSeconds(30);
    /** SIGKILL's bit in the pending-signal masks of {@code /proc/<pid>/task/<tid>/status}. */
    private static final long SIGKILL_MASK = 1L << (9 - 1);

    private final FileChannel channel;

    private RootLock(FileChannel channel) {
        this.channel = channel;
    }

    /**
     * Takes the lock of {@code root} (created if missing), from a dying holder if need be. With the lock, no live
     * process serves the FUSE mounts under the root: their connections are aborted, but for those at {@code kept},
     * whose connections this process holds to adopt them.
     */
    static RootLock acquire(Path root, Set<Path> kept) throws IOException {
        Files.createDirectories(root);
        FileChannel ch = FileChannel.open(root.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        try {
            if (ch.tryLock() == null) {
                fromDyingHolder(root, ch, kept);
            } else {
                // what a daemon that died left mounted must not hang whoever touches it: this daemon, first
                List<Path> aborted = FuseMounts.abortConnectionsUnder(root, kept);
                if (!aborted.isEmpty()) {
                    LOG.warn("aborted the FUSE connections of {} mounts under {} left by a daemon that died: {}",
                            aborted.size(), root, aborted);
                }
            }
            byte[] pid = (ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII);
            ch.truncate(0);
            ch.write(ByteBuffer.wrap(pid), 0);
            return new RootLock(ch);
        } catch (OverlappingFileLockException e) {
            ch.close();
            throw new IOException("another jstargz daemon is using root " + root + " (in this process)");
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static void fromDyingHolder(Path root, FileChannel ch, Set<Path> kept) throws IOException {
        OptionalLong holder = holder(ch);
        if (holder.isEmpty() || !isDying(holder.getAsLong())) {
            throw new IOException("another jstargz daemon is using root " + root
                    + (holder.isPresent() ? " (pid " + holder.getAsLong() + ")" : ""));
        }
        long pid = holder.getAsLong();
        List<Path> aborted = FuseMounts.abortConnectionsUnder(root, kept);
        LOG.warn("the daemon that holds root {} (pid {}) is being killed but has not exited; aborted the FUSE "
                + "connections of its {} mounts so that it can, and waiting for its lock", root, pid, aborted.size());
        CompletableFuture<FileLock> locked = CompletableFuture.supplyAsync(() -> {
            try {
                return ch.lock();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        try {
            Futures.get(locked, DYING_HOLDER_WAIT, "the lock of root " + root + " held by dying pid " + pid);
        } catch (IOException e) {
            ch.close(); // ends the blocked lock() of the thread above
            throw e;
        }
    }

    /** The pid the lock's holder wrote, if it wrote one. */
    private static OptionalLong holder(FileChannel ch) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(32);
        ch.read(buf, 0);
        String text = new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII).trim();
        try {
            return text.isEmpty() ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(text));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /**
     * Whether {@code pid} is being killed: its main thread has exited (zombie) while others remain, or one of its
     * threads has SIGKILL pending. A live daemon is neither.
     */
    static boolean isDying(long pid) throws IOException {
        Path tasks = Path.of("/proc", Long.toString(pid), "task");
        List<Path> threads;
        try (Stream<Path> list = Files.list(tasks)) {
            threads = list.toList();
        } catch (NoSuchFileException e) {
            return true; // gone between the failed lock and now: its lock goes with it
        }
        for (Path t : threads) {
            List<String> status;
            try {
                status = Files.readAllLines(t.resolve("status"));
            } catch (NoSuchFileException e) {
                continue; // that thread has just exited
            }
            for (String line : status) {
                if (line.startsWith("State:") && (line.contains("Z (") || line.contains("X ("))
                        || (line.startsWith("SigPnd:") || line.startsWith("ShdPnd:"))
                        && (Long.parseUnsignedLong(line.substring(7).trim(), 16) & SIGKILL_MASK) != 0) {
                    return true;
                }
            }
        }
        return false;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
