package io.jstargz.fs.binding.jnr;

import io.jstargz.fs.binding.MountHandle;
import io.jstargz.fs.binding.MountOptions;
import io.jstargz.fs.binding.OperationStats;
import io.jstargz.fs.binding.linux.MountTable;
import io.jstargz.fs.binding.linux.MountWatchdog;
import io.jstargz.fs.binding.linux.Unmounter;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A jnr-fuse mount: a thread runs libfuse's loop; the kernel's INIT marks it mounted, the loop's end unmounted. */
final class JnrMountHandle implements MountHandle {
    private static final Logger log = LoggerFactory.getLogger(JnrMountHandle.class);
    /** After an abort the loop ends as soon as it next reads the device. */
    private static final Duration AFTER_ABORT = Duration.ofSeconds(5);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);

    private final Path mountPoint;
    private final MountOptions options;
    private final String fsType;
    private final JnrFilesystemAdapter adapter;
    private final Consumer<JnrMountHandle> onEnd;
    private final CompletableFuture<Void> unmounted = new CompletableFuture<>();
    private volatile String device;

    JnrMountHandle(Path mountPoint, MountOptions options, String fsType, JnrFilesystemAdapter adapter,
                   Consumer<JnrMountHandle> onEnd) {
        this.mountPoint = mountPoint;
        this.options = options;
        this.fsType = fsType;
        this.adapter = adapter;
        this.onEnd = onEnd;
    }

    void start(String[] args) {
        Thread loop = new Thread(() -> serve(args), "jstargz-fuse " + options.fsName());
        loop.setDaemon(true);
        loop.start();
    }

    private void serve(String[] args) {
        int status = -1;
        try {
            status = adapter.serve(args);
        } catch (Throwable t) {
            adapter.initialised().completeExceptionally(t);
            log.error("{}: the FUSE loop at {} failed", options.fsName(), mountPoint, t);
        } finally {
            adapter.initialised().completeExceptionally(new IOException("mounting " + options.fsName() + " at "
                    + mountPoint + " failed: libfuse exited with status " + status
                    + " before the kernel initialised the mount (libfuse's message is on stderr)"));
            MountWatchdog.instance().forget(mountPoint, fsType);
            onEnd.accept(this);
            unmounted.complete(null);
            log.debug("{}: FUSE loop at {} ended with status {}", options.fsName(), mountPoint, status);
        }
    }

    @Override
    public Path mountPoint() {
        return mountPoint;
    }

    @Override
    public OperationStats operations() {
        return adapter.operations();
    }

    @Override
    public void awaitMounted(Duration timeout) throws IOException {
        try {
            adapter.initialised().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            String msg = options.fsName() + " was not mounted at " + mountPoint + " within " + timeout;
            try {
                unmount(CLOSE_TIMEOUT);
            } catch (IOException undo) {
                e.addSuppressed(undo);
            }
            throw new IOException(msg, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while mounting " + options.fsName() + " at " + mountPoint);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw cause instanceof IOException io ? io : new IOException(cause.getMessage(), cause);
        }
        afterMount();
    }

    /** Learns the mount's device (to abort it later) and sets its readahead. */
    private synchronized void afterMount() throws IOException {
        if (device != null) {
            return;
        }
        MountTable.Mount m = MountTable.at(mountPoint).orElseThrow(() -> new IOException(options.fsName()
                + ": the kernel initialised the mount but " + mountPoint + " is not in the mount table"));
        device = m.device();
        if (options.readAheadKib() > 0 && !Unmounter.setReadAheadKib(device, options.readAheadKib())) {
            log.debug("{}: cannot set readahead of {} to {} KiB", options.fsName(), device, options.readAheadKib());
        }
    }

    @Override
    public CompletableFuture<Void> unmounted() {
        return unmounted;
    }

    @Override
    public boolean isMounted() {
        CompletableFuture<Void> init = adapter.initialised();
        return init.isDone() && !init.isCompletedExceptionally() && !unmounted.isDone();
    }

    @Override
    public void unmount(Duration timeout) throws IOException {
        if (unmounted.isDone()) {
            return;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            // a mount still in progress would appear after an unmount attempt; let it finish first
            adapter.initialised().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            return; // it never mounted, and its loop has ended
        } catch (TimeoutException e) {
            throw new IOException("cannot unmount " + mountPoint + ": the mount did not come up within " + timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while unmounting " + mountPoint);
        }
        Unmounter.Result result = Unmounter.unmount(mountPoint);
        log.debug("{}: unmount of {}: {}", options.fsName(), mountPoint, result);
        if (awaitEnd(Math.max(0, deadline - System.nanoTime()))) {
            return;
        }
        String dev = device;
        if (dev != null && Unmounter.abortConnection(dev)) {
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
