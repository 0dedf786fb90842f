package io.jstargz.fs.binding;

import java.time.Duration;
import java.util.Objects;

/**
 * How a filesystem is mounted. Layers are immutable, so the defaults let the kernel cache everything it can.
 *
 * @param fsName             the mount's source as {@code /proc/mounts} shows it (e.g. the layer digest)
 * @param subtype            filesystem subtype: the mount shows as {@code fuse.<subtype>}
 * @param allowOther         let users other than the mounting one in (containers run as any uid)
 * @param defaultPermissions let the kernel check permissions from the modes
 * @param kernelCache        keep file contents in the page cache across opens
 * @param entryTimeout       how long the kernel caches name lookups
 * @param attrTimeout        how long the kernel caches attributes
 * @param negativeTimeout    how long the kernel caches "no such name"
 * @param maxRead            largest read request, in bytes (a binding may negotiate less)
 * @param readAheadKib       kernel readahead for the mount, in KiB (0 keeps the kernel's default)
 * @param multithreaded      serve requests on many threads
 * @param mountTimeout       how long {@link MountHandle#awaitMounted} waits for the kernel's INIT by default
 * @param passthrough        let the kernel read files that have a local copy ({@link InodeOps#backingFile}) directly
 *                           (FUSE passthrough), where the binding and the kernel can
 */
public record MountOptions(String fsName, String subtype, boolean allowOther, boolean defaultPermissions,
                           boolean kernelCache, Duration entryTimeout, Duration attrTimeout, Duration negativeTimeout,
                           int maxRead, int readAheadKib, boolean multithreaded, Duration mountTimeout,
                           boolean passthrough) {

    /** The largest read request a binding may ask the kernel for: 1 MiB, the kernel's default page limit. */
    public static final int MAX_READ = 1024 * 1024;
    /** Readahead for sequential reads of large files: 1 MiB. */
    public static final int DEFAULT_READ_AHEAD_KIB = 1024;
    /** The largest readahead: 1 GiB, so that it fits INIT's answer in bytes. */
    public static final int MAX_READ_AHEAD_KIB = 1024 * 1024;
    /** Cache timeouts for immutable layers. */
    public static final Duration LONG_TIMEOUT = Duration.ofHours(1);

    public MountOptions {
        Objects.requireNonNull(fsName, "fsName");
        Objects.requireNonNull(subtype, "subtype");
        checkOptionValue("fsName", fsName);
        checkOptionValue("subtype", subtype);
        Objects.requireNonNull(entryTimeout, "entryTimeout");
        Objects.requireNonNull(attrTimeout, "attrTimeout");
        Objects.requireNonNull(negativeTimeout, "negativeTimeout");
        Objects.requireNonNull(mountTimeout, "mountTimeout");
        if (maxRead < 4096 || maxRead > MAX_READ) {
            throw new IllegalArgumentException("maxRead must be 4096.." + MAX_READ + ", got " + maxRead);
        }
        if (readAheadKib < 0 || readAheadKib > MAX_READ_AHEAD_KIB) {
            throw new IllegalArgumentException("readAheadKib must be 0.." + MAX_READ_AHEAD_KIB + ", got "
                    + readAheadKib);
        }
    }

    /** The readahead in bytes, as INIT's answer carries it (0: the kernel's default). */
    public int readAheadBytes() {
        return readAheadKib * 1024;
    }

    /**
     * Defaults for an immutable layer: read-only, allow_other, default_permissions, kernel cache, 1 h timeouts, no
     * passthrough.
     */
    public static MountOptions forLayer(String fsName) {
        return new MountOptions(fsName, "jstargz", true, true, true, LONG_TIMEOUT, LONG_TIMEOUT, LONG_TIMEOUT,
                MAX_READ, DEFAULT_READ_AHEAD_KIB, true, Duration.ofSeconds(30), false);
    }

    public MountOptions withMountTimeout(Duration value) {
        return new MountOptions(fsName, subtype, allowOther, defaultPermissions, kernelCache, entryTimeout,
                attrTimeout, negativeTimeout, maxRead, readAheadKib, multithreaded, value, passthrough);
    }

    public MountOptions withTimeouts(Duration entry, Duration attr, Duration negative) {
        return new MountOptions(fsName, subtype, allowOther, defaultPermissions, kernelCache, entry, attr, negative,
                maxRead, readAheadKib, multithreaded, mountTimeout, passthrough);
    }

    public MountOptions withReadAheadKib(int value) {
        return new MountOptions(fsName, subtype, allowOther, defaultPermissions, kernelCache, entryTimeout,
                attrTimeout, negativeTimeout, maxRead, value, multithreaded, mountTimeout, passthrough);
    }

    public MountOptions withPassthrough(boolean value) {
        return new MountOptions(fsName, subtype, allowOther, defaultPermissions, kernelCache, entryTimeout,
                attrTimeout, negativeTimeout, maxRead, readAheadKib, multithreaded, mountTimeout, value);
    }

    /** Mount option values are comma-separated lists: a comma or a control character would change their meaning. */
    private static void checkOptionValue(String what, String value) {
        if (value.isEmpty()) {
            throw new IllegalArgumentException(what + " must not be empty");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == ',' || c == '\\' || c < 0x20 || c == 0x7f || c == ' ') {
                throw new IllegalArgumentException(what + " '" + value + "' contains a character not allowed in a"
                        + " mount option (comma, backslash, space or control) at " + i);
            }
        }
    }
}
