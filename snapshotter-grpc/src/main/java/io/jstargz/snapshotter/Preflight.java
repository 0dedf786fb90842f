package io.jstargz.snapshotter;

import io.jstargz.fs.binding.FuseBindings;
import io.jstargz.mount.Unmounter;
import io.jstargz.snapshotter.config.Config;
import io.jstargz.snapshotter.config.ListenAddress;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the daemon checks before it does any work: that FUSE can be used (the device, the kernel's filesystem, the
 * right to mount) and that the metrics address can be bound. Without FUSE every layer would fall back to a normal
 * pull while the daemon said it was ready, and a taken metrics port used to be found only after the warm-up, ending
 * in a crash loop under {@code Restart=always}: each problem is one line, and the daemon refuses to start.
 *
 * <p>The kernel's FUSE protocol version is not known before a mount: the kernel binding reads it from the kernel's
 * INIT request and refuses an older one with a message that names both versions.
 */
final class Preflight {
    private static final Logger LOG = LoggerFactory.getLogger(Preflight.class);
    private static final int S_IFMT = 0170000;
    private static final int S_IFCHR = 0020000;
    private static final int S_ISUID = 04000;

    private final Path device;
    private final Path procFilesystems;
    private final boolean root;
    private final List<Path> searchPath;

    /**
     * @param device          the FUSE device, {@code /dev/fuse}
     * @param procFilesystems the kernel's list of filesystems, {@code /proc/filesystems}
     * @param root            whether the daemon runs as root (it may mount)
     * @param searchPath      where {@code fusermount} is looked for when it is not root
     */
    Preflight(Path device, Path procFilesystems, boolean root, List<Path> searchPath) {
        this.device = device;
        this.procFilesystems = procFilesystems;
        this.root = root;
        this.searchPath = searchPath;
    }

    /** The checks on this machine, for this process. */
    static Preflight here() {
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        return new Preflight(Path.of("/dev/fuse"), Path.of("/proc/filesystems"), Unmounter.isRoot(),
                Stream.of(path.split(File.pathSeparator)).filter(s -> !s.isEmpty()).map(Path::of).toList());
    }

    /**
     * Runs every check on {@code config}.
     *
     * @throws StartupException listing each problem, one a line, if there is any
     */
    void check(Config config) throws StartupException {
        List<String> problems = new ArrayList<>(fuse(config.fuse().binding()));
        if (!config.metricsAddress().isEmpty()) {
            bindable("metrics_address", config.metricsAddress()).ifPresent(problems::add);
        }
        if (!config.debugAddress().isEmpty()) {
            bindable("debug_address", config.debugAddress()).ifPresent(problems::add);
        }
        warnIfMissing(config.registry().dockerConfig());
        if (!problems.isEmpty()) {
            throw new StartupException(problems);
        }
    }

    /** What keeps FUSE from serving layers with {@code binding}; empty when nothing does. */
    List<String> fuse(String binding) {
        List<String> problems = new ArrayList<>();
        deviceProblem().ifPresent(problems::add);
        try (Stream<String> lines = Files.lines(procFilesystems)) {
            if (lines.noneMatch(l -> l.strip().endsWith("\tfuse") || l.strip().equals("fuse"))) {
                problems.add("the kernel has no FUSE filesystem (" + procFilesystems + " lists none): load the fuse"
                        + " module with 'modprobe fuse'");
            }
        } catch (IOException e) {
            problems.add("cannot read " + procFilesystems + " to see whether the kernel has FUSE: " + e);
        }
        if (FuseBindings.Choice.of(binding) == FuseBindings.Choice.KERNEL) {
            String why = FuseBindings.whyNoKernelBinding();
            if (why != null) {
                problems.add("fuse.binding = \"kernel\" cannot run here: " + why);
            }
        } else if (!root && searchPath.stream().noneMatch(Preflight::setuid)) {
            problems.add("not root, and no setuid fusermount on PATH to mount with: run the daemon as root");
        }
        return problems;
    }

    private Optional<String> deviceProblem() {
        int mode;
        try {
            mode = (Integer) Files.getAttribute(device, "unix:mode");
        } catch (NoSuchFileException e) {
            return Optional.of(device + " does not exist: load the fuse module ('modprobe fuse'), or in a"
                    + " container pass the device (--device /dev/fuse)");
        } catch (IOException e) {
            return Optional.of("cannot stat " + device + ": " + e);
        }
        if ((mode & S_IFMT) != S_IFCHR) {
            return Optional.of(device + " is not a character device");
        }
        try (FileChannel ignored = FileChannel.open(device, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            return Optional.empty();
        } catch (AccessDeniedException e) {
            return Optional.of(device + ": permission denied: run the daemon as root");
        } catch (IOException e) {
            return Optional.of("cannot open " + device + ": " + e);
        }
    }

    private static boolean setuid(Path dir) {
        for (String name : List.of("fusermount", "fusermount3")) {
            Path p = dir.resolve(name);
            try {
                if (Files.isExecutable(p) && ((Integer) Files.getAttribute(p, "unix:mode") & S_ISUID) != 0) {
                    return true;
                }
            } catch (IOException | UnsupportedOperationException e) {
                // not there, or not readable: the next directory may have it
            }
        }
        return false;
    }

    /** Why {@code address} cannot be served on, if it cannot: bound and released at once. */
    static Optional<String> bindable(String key, String address) {
        InetSocketAddress at = ListenAddress.parse(key, address).socketAddress();
        try (ServerSocket s = new ServerSocket()) {
            s.bind(at);
            return Optional.empty();
        } catch (IOException e) {
            return Optional.of(key + " " + address + " cannot be bound: " + e.getMessage());
        }
    }

    /** A docker config that is named but missing would leave every private registry without credentials. */
    private static void warnIfMissing(String dockerConfig) {
        if (!dockerConfig.isEmpty() && !Files.exists(Path.of(dockerConfig))) {
            LOG.warn("registry.docker_config {} does not exist: registries get no credentials from it",
                    dockerConfig);
        }
    }
}
