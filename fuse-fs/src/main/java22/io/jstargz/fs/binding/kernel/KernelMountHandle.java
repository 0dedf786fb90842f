package io.jstargz.fs.binding.kernel;

import io.jstargz.concurrent.Threads;
import io.jstargz.fs.binding.InodeOps;
import io.jstargz.fs.binding.KeptConnection;
import io.jstargz.fs.binding.MountOptions;
import io.jstargz.fs.binding.OperationStats;
import io.jstargz.fs.binding.linux.FuseMountHandle;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A mount this process serves on {@code /dev/fuse} itself. Platform threads serve it: each blocks in read(2) on its
 * own clone of the device, answers the request it got with the {@link RequestDispatcher}, and reuses its buffers for
 * the next. The kernel ends every read with ENODEV once the mount is gone (unmounted, or its connection aborted);
 * when the last worker has seen that, the device is closed and the mount has ended.
 *
 * <p>The workers grow with the requests a mount has at once, as libfuse's multithreaded loop does: a mount starts
 * with one, a worker that takes a request while no other waits starts another (up to {@code maxWorkers}), and a
 * worker that finishes a request while {@link #MAX_IDLE} others wait exits. Each worker holds a thread stack and
 * 160 KiB of buffers: a fixed 16 per mount made 20 mounted layers hold 320 threads, 70 MiB of stacks and 50 MiB of
 * buffers, most of them never used.
 *
 * <p>A handover to another process ({@link #handOver}) first parks every worker: each finishes the request it is
 * serving, and one waiting in read(2) is interrupted before it takes another ({@link ReadInterrupts}), so no request
 * is lost and those that come meanwhile wait in the kernel. The connection is sent with the inodes that have files
 * open and how each is read ({@link KeptConnection#openInodes}); then the parked workers leave without reading again.
 * If it could not be sent, they go back to serving.
 */
final class KernelMountHandle extends FuseMountHandle implements RequestDispatcher.InitListener {
    private static final Logger log = LoggerFactory.getLogger(KernelMountHandle.class);
    /** Room for any request but a write (a read-only mount gets none): names, xattr names, forget batches. */
    private static final int REQUEST_BUFFER = 4 * FuseProtocol.MIN_READ_BUFFER;
    /** How often a worker that has not parked yet is interrupted again (a signal before its read is lost). */
    private static final long INTERRUPT_AGAIN_MILLIS = 5;

    private final FuseDevice device;
    private final RequestDispatcher dispatcher;
    /** Workers waiting for a request beyond which a worker done with its request exits. */
    static final int MAX_IDLE = 2;
    private final int maxWorkers;
    /** Workers started and not yet ended; the mount has ended when it falls to 0. */
    private final AtomicInteger running = new AtomicInteger();
    /** Workers waiting in read(2). */
    private final AtomicInteger idle = new AtomicInteger();
    private final AtomicInteger started = new AtomicInteger();
    /**
     * The kernel thread ids of the workers waiting in read(2). Only those are interrupted: a worker serving a request
     * finishes it, sees {@link #parking} and parks, and its other system calls are left alone.
     */
    private final Set<Integer> readers = ConcurrentHashMap.newKeySet();
    /** Guards the parking of workers: {@link #parked}, {@link #parking}, {@link #leave}. */
    private final Object parkLock = new Object();
    private int parked;
    private volatile boolean parking;
    /** The connection was handed over: parked workers leave instead of serving again. */
    private boolean leave;
    private volatile RequestDispatcher.Negotiated negotiated;

    KernelMountHandle(Path mountPoint, InodeOps ops, MountOptions options, FuseDevice device, int maxWorkers) {
        super(mountPoint, options);
        this.device = device;
        this.maxWorkers = maxWorkers;
        this.dispatcher = new RequestDispatcher(ops, options, device, mountPoint, this);
    }

    /**
     * Starts the first worker once mount(2) has attached the device, and learns the mount's device number (so that a
     * connection aborted before anyone awaited the mount still has its dead mount detached).
     */
    void start() {
        starting();
        running.incrementAndGet();
        launchWorker();
        try {
            learnDevice();
        } catch (IOException e) {
            log.warn("{}: cannot read the mount table after mounting at {}: {}", options().fsName(), mountPoint(),
                    e.getMessage());
        }
    }

    /** Serves a mount whose connection another process initialised, and served until now, as {@code kept} says. */
    void adopt(KeptConnection kept) {
        negotiated = new RequestDispatcher.Negotiated(kept.protocolMinor(), kept.flags());
        dispatcher.adopted(kept);
        start();
        initialised();
    }

    @Override
    public KeptConnection keep(String keeperSocket, String label) throws IOException {
        RequestDispatcher.Negotiated n = negotiated;
        if (n == null || !isMounted()) {
            throw new IOException(options().fsName() + ": the mount at " + mountPoint() + " is not serving; its"
                    + " connection cannot be kept");
        }
        return send(keeperSocket, new KeptConnection(label, n.minor(), n.flags()));
    }

    private KeptConnection send(String socket, KeptConnection kept) throws IOException {
        String openInodes = kept.openInodes().isPresent() ? "OPEN_INODES=" + kept.openInodesField() + "\n" : "";
        FdMessages.send(socket, "FDSTORE=1\nFDNAME=" + kept.name() + "\n" + openInodes, device.fd());
        keptElsewhere();
        return kept;
    }

    @Override
    public KeptConnection handOver(String inboxSocket, String label, Duration timeout) throws IOException {
        if (negotiated == null || !isMounted()) {
            throw new IOException(options().fsName() + ": the mount at " + mountPoint() + " is not serving; its"
                    + " connection cannot be handed over");
        }
        parkWorkers(timeout);
        KeptConnection kept;
        try {
            RequestDispatcher.Negotiated n = negotiated;
            kept = send(inboxSocket, new KeptConnection(label, n.minor(), n.flags(),
                    Optional.of(dispatcher.openInodes())));
        } catch (IOException | RuntimeException e) {
            releaseWorkers(false);
            throw e;
        }
        releaseWorkers(true);
        handedOver();
        log.info("{}: handed the FUSE connection of {} over to {}", options().fsName(), mountPoint(), inboxSocket);
        return kept;
    }

    /** Parks every worker between two requests, interrupting those waiting in read(2); at most {@code timeout}. */
    private void parkWorkers(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (parkLock) {
            parking = true;
            try {
                while (parked < running.get()) {
                    if (System.nanoTime() - deadline >= 0) {
                        throw new IOException(options().fsName() + ": " + (running.get() - parked) + " FUSE workers"
                                + " of " + mountPoint() + " were still serving requests after " + timeout);
                    }
                    for (int tid : readers) {
                        ReadInterrupts.interrupt(tid);
                    }
                    parkLock.wait(INTERRUPT_AGAIN_MILLIS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                releaseWorkers(false);
                throw new IOException("interrupted while stopping the FUSE workers of " + mountPoint(), e);
            } catch (IOException | RuntimeException e) {
                releaseWorkers(false);
                throw e;
            }
        }
    }

    /** Lets the parked workers go: to leave, or to serve again. */
    private void releaseWorkers(boolean leave) {
        synchronized (parkLock) {
            this.leave = leave;
            parking = false;
            parkLock.notifyAll();
        }
    }

    /** Parks the calling worker until the handover ends; returns whether it is to serve again. */
    private boolean park() {
        synchronized (parkLock) {
            parked++;
            parkLock.notifyAll();
            try {
                while (parking) {
                    parkLock.wait();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                parked--;
            }
            return !leave && !Thread.currentThread().isInterrupted();
        }
    }

    /** Mounting failed before any worker started: the device is closed and the mount point forgotten. */
    void abandon(IOException why) {
        device.close();
        failed(why);
        served();
    }

    /** One more worker, unless the mount has its most; called by a worker, so the mount is running. */
    private void growIfBelowMax() {
        for (int r = running.get(); r < maxWorkers; r = running.get()) {
            if (running.compareAndSet(r, r + 1)) {
                launchWorker();
                return;
            }
        }
    }

    private void launchWorker() {
        Threads.start("jstargz-fuse-" + options().fsName() + "-" + started.getAndIncrement(), this::work);
    }

    private void work() {
        int tid = ReadInterrupts.currentThread();
        try (Arena arena = Arena.ofConfined(); FuseChannel channel = device.newChannel(arena)) {
            MemorySegment request = arena.allocate(REQUEST_BUFFER, 4096);
            ReplyWriter reply = new ReplyWriter(channel, arena);
            while (true) {
                readers.add(tid); // before the check: a handover that starts now interrupts this read
                if (parking) {
                    readers.remove(tid);
                    if (park()) {
                        continue;
                    }
                    break;
                }
                idle.incrementAndGet();
                int n = channel.read(request);
                int othersWaiting = idle.decrementAndGet();
                readers.remove(tid);
                if (n == FuseChannel.GONE) {
                    break;
                }
                if (n == FuseChannel.INTERRUPTED) {
                    continue;
                }
                if (othersWaiting == 0) {
                    growIfBelowMax(); // this request may take long (a fetch): the next one needs a worker
                }
                try {
                    dispatcher.serve(request, n, reply);
                } finally {
                    reply.release();
                }
                if (idle.get() >= MAX_IDLE) {
                    break; // enough others wait for the next request
                }
            }
        } catch (IOException | RuntimeException e) {
            log.error("{}: a FUSE worker at {} stopped", options().fsName(), mountPoint(), e);
        } finally {
            readers.remove(tid);
            synchronized (parkLock) {
                parkLock.notifyAll(); // one fewer to park
                if (running.decrementAndGet() == 0) {
                    if (leave) {
                        dispatcher.stopped(false);
                        device.close(); // the connection lives on in the process it was handed to
                    } else {
                        ended();
                    }
                }
            }
        }
    }

    private void ended() {
        dispatcher.stopped(true);
        device.close();
        log.debug("{}: FUSE server at {} stopped", options().fsName(), mountPoint());
        served();
    }

    @Override
    public OperationStats operations() {
        return dispatcher.operations();
    }

    @Override
    public void initialised(RequestDispatcher.Negotiated n) {
        log.debug("{}: FUSE 7.{} initialised at {}, flags 0x{}", options().fsName(), n.minor(), mountPoint(),
                Long.toHexString(n.flags()));
        negotiated = n;
        initialised();
    }

    @Override
    public void refused(IOException why) {
        log.error("{}: cannot serve the mount at {}: {}", options().fsName(), mountPoint(), why.getMessage());
        failed(why);
    }
}
