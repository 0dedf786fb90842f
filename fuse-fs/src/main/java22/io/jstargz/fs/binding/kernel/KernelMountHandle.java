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
 */
final class KernelMountHandle extends FuseMountHandle implements RequestDispatcher.InitListener {
    private static final Logger log = LoggerFactory.getLogger(KernelMountHandle.class);
    /** Room for any request but a write (a read-only mount gets none): names, xattr names, forget batches. */
    private static final int REQUEST_BUFFER = 4 * FuseProtocol.MIN_READ_BUFFER;

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
    private volatile RequestDispatcher.Negotiated negotiated;

    KernelMountHandle(Path mountPoint, InodeOps ops, MountOptions options, FuseDevice device, int maxWorkers) {
        super(mountPoint, options);
        this.device = device;
        this.maxWorkers = maxWorkers;
        this.dispatcher = new RequestDispatcher(ops, options, device, this);
    }

    /**
     * Starts the first worker once mount(2) has attached the device, and learns the mount's device number (so that a
     * connection aborted before anyone awaited the mount still has its dead mount detached).
     */
    void start() {
        starting();
        startWorker();
        try {
            learnDevice();
        } catch (IOException e) {
            log.warn("{}: cannot read the mount table after mounting at {}: {}", options().fsName(), mountPoint(),
                    e.getMessage());
        }
    }

    /** Serves a mount whose connection another process initialised as {@code n} says. */
    void adopt(RequestDispatcher.Negotiated n) {
        negotiated = n;
        dispatcher.adopted(n);
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
        KeptConnection kept = new KeptConnection(label, n.minor(), n.flags());
        FdMessages.send(keeperSocket, "FDSTORE=1\nFDNAME=" + kept.name() + "\n", device.fd());
        keptElsewhere();
        return kept;
    }

    /** Mounting failed before any worker started: the device is closed and the mount point forgotten. */
    void abandon(IOException why) {
        device.close();
        failed(why);
        served();
    }

    private void startWorker() {
        running.incrementAndGet();
        launchWorker();
    }

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
        try (Arena arena = Arena.ofConfined(); FuseChannel channel = device.newChannel(arena)) {
            MemorySegment request = arena.allocate(REQUEST_BUFFER, 4096);
            ReplyWriter reply = new ReplyWriter(channel, arena);
            while (true) {
                idle.incrementAndGet();
                int n = channel.read(request);
                int othersWaiting = idle.decrementAndGet();
                if (n < 0) {
                    break;
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
            if (running.decrementAndGet() == 0) {
                ended();
            }
        }
    }

    private void ended() {
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
