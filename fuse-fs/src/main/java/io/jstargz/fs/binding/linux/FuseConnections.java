package io.jstargz.fs.binding.linux;

import io.jstargz.mount.MountTable;
import io.jstargz.mount.Unmounter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.SaveError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A FUSE mount's kernel connection, by its device number: aborting it through fusectl, so that no request to a dead or
 * hung filesystem can block, and setting its readahead.
 */
public final class FuseConnections {
    private static final Logger log = LoggerFactory.getLogger(FuseConnections.class);
    private static final Path FUSE_CONNECTIONS = Path.of("/sys/fs/fuse/connections");

    /** The libc function used; public only because jnr-ffi implements it. */
    public interface LibC {
        @SaveError
        int mount(String source, String target, String fsType, long flags, String data);
    }

    private static final LibC LIBC = LibraryLoader.create(LibC.class).load("c");

    private FuseConnections() {
    }

    /**
     * Aborts the FUSE connection of the device {@code major:minor} (from {@link MountTable.Mount#device()}): every
     * pending and future request fails with ENOTCONN and the serving loop ends. Returns false when fusectl is not
     * mounted or the connection is already gone.
     */
    public static boolean abort(String device) {
        String[] parts = device.split(":");
        if (parts.length != 2 || !parts[0].equals("0")) {
            return false;
        }
        Path abort = FUSE_CONNECTIONS.resolve(parts[1]).resolve("abort");
        if (!Files.exists(abort) && Unmounter.isRoot() && Files.isDirectory(FUSE_CONNECTIONS)) {
            mountFusectl();
        }
        try {
            Files.writeString(abort, "1", StandardCharsets.US_ASCII);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Sets the kernel readahead of the mount with device {@code major:minor}; false if that is not possible. */
    public static boolean setReadAheadKib(String device, int kib) {
        Path file = Path.of("/sys/class/bdi", device, "read_ahead_kb");
        try {
            Files.writeString(file, Integer.toString(kib), StandardCharsets.US_ASCII);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** fusectl is normally mounted at boot (by systemd); containers and minimal systems may lack it. */
    private static synchronized void mountFusectl() {
        try {
            if (MountTable.at(FUSE_CONNECTIONS).isEmpty()
                    && LIBC.mount("fusectl", FUSE_CONNECTIONS.toString(), "fusectl", 0, null) != 0) {
                log.debug("cannot mount fusectl at {}: errno {}", FUSE_CONNECTIONS,
                        LastError.getLastError(Runtime.getRuntime(LIBC)));
            }
        } catch (IOException e) {
            log.debug("cannot read the mount table: {}", e.getMessage());
        }
    }
}
