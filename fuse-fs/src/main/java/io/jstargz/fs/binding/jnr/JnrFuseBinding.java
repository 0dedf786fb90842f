package io.jstargz.fs.binding.jnr;

import io.jstargz.fs.binding.FuseBinding;
import io.jstargz.fs.binding.InodeOps;
import io.jstargz.fs.binding.MountHandle;
import io.jstargz.fs.binding.MountOptions;
import io.jstargz.fs.binding.PathAddressedOps;
import io.jstargz.fs.binding.linux.FuseMounts;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The jnr-fuse (libfuse 2) binding, for JDKs without the FFM API. Each mount runs libfuse's multithreaded loop on its
 * own thread, over the filesystem's paths ({@link PathAddressedOps}). Mounts are always read-only, with
 * {@code use_ino} (inode numbers come from the filesystem, so hardlinks share one) and {@code suid} (setuid binaries
 * in images keep working in containers). Reads are at most {@link #LIBFUSE2_MAX_READ}.
 */
public final class JnrFuseBinding implements FuseBinding {
    /** The largest read request libfuse 2 negotiates with the kernel (32 pages). */
    private static final int LIBFUSE2_MAX_READ = 128 * 1024;

    @Override
    public String name() {
        return "jnr";
    }

    @Override
    public MountHandle mount(Path mountPoint, InodeOps ops, MountOptions options) throws IOException {
        if (!Charset.defaultCharset().equals(StandardCharsets.UTF_8)) {
            // jnr-fuse decodes the paths the kernel sends with the default charset
            throw new IOException("FUSE paths need UTF-8 as the JVM's default charset, it is "
                    + Charset.defaultCharset() + ": run java with -Dfile.encoding=UTF-8");
        }
        Path dir = FuseMounts.prepare(mountPoint, options);
        JnrFilesystemAdapter adapter = new JnrFilesystemAdapter(new PathAddressedOps(ops), options.fsName(),
                options.readAheadBytes());
        JnrMountHandle handle = new JnrMountHandle(dir, options, adapter);
        handle.start(arguments(dir, options));
        return handle;
    }

    static String[] arguments(Path dir, MountOptions o) {
        List<String> opts = new ArrayList<>(List.of("ro", "suid", "noatime", "use_ino",
                "fsname=" + o.fsName(), "subtype=" + o.subtype(),
                "entry_timeout=" + seconds(o.entryTimeout()), "attr_timeout=" + seconds(o.attrTimeout()),
                "negative_timeout=" + seconds(o.negativeTimeout()),
                "max_read=" + Math.min(o.maxRead(), LIBFUSE2_MAX_READ)));
        if (o.allowOther()) {
            opts.add("allow_other");
        }
        if (o.defaultPermissions()) {
            opts.add("default_permissions");
        }
        if (o.kernelCache()) {
            opts.add("kernel_cache");
        }
        List<String> args = new ArrayList<>(List.of("jstargz", "-f"));
        if (!o.multithreaded()) {
            args.add("-s");
        }
        args.add("-o");
        args.add(String.join(",", opts));
        args.add(dir.toString());
        return args.toArray(String[]::new);
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? Long.toString(d.toSeconds()) : Double.toString(d.toMillis() / 1000.0);
    }
}
