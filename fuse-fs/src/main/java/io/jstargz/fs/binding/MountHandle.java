package io.jstargz.fs.binding;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * One mounted filesystem. {@link #close()} unmounts it. The mount also goes away when the process dies, even by
 * SIGKILL, so no dead mount is left behind.
 */
public interface MountHandle extends AutoCloseable {

    /** Where the filesystem is mounted. */
    Path mountPoint();

    /**
     * Waits until the kernel has initialised the mount (it then serves requests), at most {@code timeout}.
     *
     * @throws IOException if mounting failed, or did not finish in time (the attempt is then undone)
     */
    void awaitMounted(Duration timeout) throws IOException;

    /** Completes when the filesystem stopped serving requests (unmounted, by us or by someone else). */
    CompletableFuture<Void> unmounted();

    /** True while the filesystem is mounted and serving. */
    boolean isMounted();

    /** The requests this mount has served, by operation, with the time its handlers took (for metrics). */
    OperationStats operations();

    /**
     * Unmounts: a plain unmount, or when the mount is busy a lazy detach (it disappears from the namespace now and
     * is released when its last user goes), and waits at most {@code timeout} for the filesystem to stop serving;
     * after that the kernel connection is aborted so no request can hang. Unmounting twice is harmless.
     */
    void unmount(Duration timeout) throws IOException;

    /** Unmounts with a default timeout. */
    @Override
    void close() throws IOException;
}
