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

    /**
     * Stores this mount's connection with a keeper outside this process: sends its {@code /dev/fuse} descriptor, named
     * as {@link KeptConnection#name()} with {@code label}, in an {@code FDSTORE=1} notification to the datagram socket
     * {@code keeperSocket} (systemd's {@code $NOTIFY_SOCKET}, or a {@link ConnectionInbox} of a daemon taking over).
     * From then on the mount outlives this process: its death no longer unmounts it, and requests that come while
     * nobody serves it wait for the process that adopts it ({@link FuseBinding#adopt}).
     *
     * @throws IOException if this binding cannot keep connections (jnr-fuse), or the keeper cannot be reached
     */
    default KeptConnection keep(String keeperSocket, String label) throws IOException {
        throw new IOException("the FUSE binding of " + mountPoint() + " cannot keep its connection outside this"
                + " process: only the kernel binding (JDK 22+) can");
    }

    /**
     * Hands this mount over to a process taking over, without unmounting it: stops taking requests (those being
     * served are answered first, and requests that come meanwhile wait in the kernel for the new server), sends the
     * connection to {@code inboxSocket} as {@link #keep} does, and lets go of it. From then on this handle serves
     * nothing and {@link #unmounted()} is complete, but the mount stays. If the connection cannot be sent, the mount
     * is served again and the error thrown.
     *
     * @param timeout how long the requests being served may take to finish
     * @throws IOException if this binding cannot hand mounts over (jnr-fuse), or the handover failed
     */
    default KeptConnection handOver(String inboxSocket, String label, Duration timeout) throws IOException {
        throw new IOException("the FUSE binding of " + mountPoint() + " cannot hand its connection over to another"
                + " process: only the kernel binding (JDK 22+) can");
    }

    /** Unmounts with a default timeout. */
    @Override
    void close() throws IOException;
}
