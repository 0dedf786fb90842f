package io.jstargz.fs.binding.linux;

import io.jstargz.concurrent.Futures;
import io.jstargz.fs.binding.MountHandle;
import io.jstargz.fs.binding.MountOptions;
import io.jstargz.mount.MountTable;
import io.jstargz.mount.Unmounter;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The life of one FUSE mount, whatever serves it: the binding reports the kernel's INIT ({@link #initialised}) and
 * the end of serving ({@link #served}); this class waits for them, learns the mount's device, and unmounts (plain,
 * lazy when busy, and at last an aborted connection so that no request can hang). Every live handle is known to
 * {@link FuseMounts}, which unmounts them at exit.
 */
public abstract class FuseMountHandle implements MountHandle {
    private static final Logger log = LoggerFactory.getLogger(FuseMountHandle.class);
    /** After an abort the server ends as soon as it next reads the device. */
    private static final Duration AFTER_ABORT = Duration.ofSeconds(5);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);

    private final Path mountPoint;
    private final MountOptions options;
    private final String fsType;
    private final CompletableFuture<Void> initialised = new CompletableFuture<>();
    private final CompletableFuture<Void> unmounted = new CompletableFuture<>();
    private volatile String device;

    /** A mount about to be made at {@code mountPoint}, prepared by {@link FuseMounts#prepare}. */
    protected FuseMountHandle(Path mountPoint, MountOptions options) {
        this.mountPoint = mountPoint;
        this.options = options;
        this.fsType = FuseMounts.fsType(options);
    }

    /** The server is starting: from now on the mount is unmounted at exit. */
    protected final void starting() {
        FuseMounts.register(this);
    }

    /** The kernel initialised the mount: it serves requests from now on. */
    protected final void initialised() {
        initialised.complete(null);
    }

    /**
     * The connection is kept by a process outside this one ({@link MountHandle#keep}): this process's death must not
     * unmount the mount any more.
     */
    protected final void keptElsewhere() {
        MountWatchdog.instance().forget(mountPoint, fsType);
    }

    /**
     * The connection was handed over to another process ({@link MountHandle#handOver}): this process serves the mount
     * no more and leaves it mounted, at exit too.
     */
    protected final void handedOver() {
        keptElsewhere();
        FuseMounts.ended(this);
        unmounted.complete(null);
    }

    /** Mounting failed before the kernel initialised the mount. */
    protected final void failed(Throwable cause) {
        initialised.completeExceptionally(cause);
    }

    /**
     * Serving ended (unmounted, aborted, or never mounted): a mount left dead by an aborted connection is detached,
     * and the mount is forgotten. Called once, last.
     */
    protected final void served() {
        initialised.completeExceptionally(new IOException("mounting " + options.fsName() + " at " + mountPoint
                + " failed: the FUSE server stopped before the kernel initialised the mount"));
        detachIfDead();
        MountWatchdog.instance().forget(mountPoint, fsType);
        FuseMounts.ended(this);
        unmounted.complete(null);
    }

    private void detachIfDead() {
        String dev = device;
        try {
            MountTable.Mount m = dev == null ? null : MountTable.at(mountPoint).orElse(null);
            if (m != null && m.device().equals(dev)) {
                log.warn("{}: the FUSE connection of {} ended while it was mounted; detaching it", options.fsName(),
                        mountPoint);
                Unmounter.detach(mountPoint);
            }
        } catch (IOException e) {
            log.warn("{}: cannot detach {} after its FUSE connection ended: {}", options.fsName(), mountPoint,
                    e.getMessage());
        }
    }

    protected final MountOptions options() {
        return options;
    }

    @Override
    public Path mountPoint() {
        return mountPoint;
    }

    @Override
    public void awaitMounted(Duration timeout) throws IOException {
        try {
            Futures.get(initialised, timeout, "mounting " + options.fsName() + " at " + mountPoint);
        } catch (IOException failure) {
            if (!Thread.currentThread().isInterrupted()) {
                try {
                    unmount(CLOSE_TIMEOUT);
                } catch (IOException undo) {
                    failure.addSuppressed(undo);
                }
            }
            throw failure;
        }
        learnDevice();
        if (device == null) {
            throw new IOException(options.fsName() + ": the kernel initialised the mount but " + mountPoint
                    + " is not in the mount table");
        }
    }

    /**
     * Learns the mount's device (to abort it later) and sets its readahead, once the mount is in the mount table;
     * does nothing before.
     */
    protected final synchronized void learnDevice() throws IOException {
        if (device != null) {
            return;
        }
        MountTable.Mount m = MountTable.at(mountPoint).orElse(null);
        if (m == null || !m.fsType().equals(fsType)) {
            return;
        }
        device = m.device();
        if (options.readAheadKib() > 0 && !FuseConnections.setReadAheadKib(device, options.readAheadKib())) {
            log.debug("{}: cannot set readahead of {} to {} KiB", options.fsName(), device, options.readAheadKib());
        }
    }

    @Override
    public CompletableFuture<Void> unmounted() {
        return unmounted;
    }

    @Override
    public boolean isMounted() {
        return initialised.isDone() && !initialised.isCompletedExceptionally() && !unmounted.isDone();
    }

    @Override
    public void unmount(Duration timeout) throws IOException {
        if (unmounted.isDone()) {
            return;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            // a mount still in progress would appear after an unmount attempt; let it finish first
            initialised.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            // it never served: whatever part of it exists is torn down below
        } catch (TimeoutException e) {
            throw new IOException("cannot unmount " + mountPoint + ": the mount did not come up within " + timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while unmounting " + mountPoint);
        }
        learnDevice();
        Unmounter.Result result = Unmounter.unmount(mountPoint);
        log.debug("{}: unmount of {}: {}", options.fsName(), mountPoint, result);
        if (awaitEnd(Math.max(0, deadline - System.nanoTime()))) {
            return;
        }
        String dev = device;
        if (dev != null && FuseConnections.abort(dev)) {
            log.warn("{}: {} still had users after {}; aborted its FUSE connection", options.fsName(), mountPoint,
                    timeout);
            if (awaitEnd(AFTER_ABORT.toNanos())) {
                return;
            }
        }
        throw new IOException(options.fsName() + ": the filesystem at " + mountPoint + " still serves requests "
                + timeout + " after it was unmounted (" + result + ")");
    }

    private boolean awaitEnd(long nanos) throws InterruptedIOException {
        try {
            unmounted.get(nanos, TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while unmounting " + mountPoint);
        } catch (ExecutionException e) {
            return true; // never completed exceptionally
        }
    }

    @Override
    public void close() throws IOException {
        unmount(CLOSE_TIMEOUT);
    }

    @Override
    public String toString() {
        return options.fsName() + " at " + mountPoint;
    }
}
