package io.jstargz.fs.binding.jnr;

import io.jstargz.fs.binding.MountOptions;
import io.jstargz.fs.binding.OperationStats;
import io.jstargz.fs.binding.linux.FuseMountHandle;
import java.io.IOException;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A jnr-fuse mount: a thread runs libfuse's loop; the kernel's INIT marks it mounted, the loop's end unmounted. */
final class JnrMountHandle extends FuseMountHandle {
    private static final Logger log = LoggerFactory.getLogger(JnrMountHandle.class);

    private final JnrFilesystemAdapter adapter;

    JnrMountHandle(Path mountPoint, MountOptions options, JnrFilesystemAdapter adapter) {
        super(mountPoint, options);
        this.adapter = adapter;
    }

    void start(String[] args) {
        adapter.onInit(this::initialised);
        starting();
        Thread loop = new Thread(() -> serve(args), "jstargz-fuse " + options().fsName());
        loop.setDaemon(true);
        loop.start();
    }

    private void serve(String[] args) {
        int status = -1;
        try {
            status = adapter.serve(args);
        } catch (Throwable t) {
            failed(t);
            log.error("{}: the FUSE loop at {} failed", options().fsName(), mountPoint(), t);
        } finally {
            failed(new IOException("mounting " + options().fsName() + " at " + mountPoint() + " failed: libfuse"
                    + " exited with status " + status + " before the kernel initialised the mount (libfuse's message"
                    + " is on stderr)"));
            served();
            log.debug("{}: FUSE loop at {} ended with status {}", options().fsName(), mountPoint(), status);
        }
    }

    @Override
    public OperationStats operations() {
        return adapter.operations();
    }
}
