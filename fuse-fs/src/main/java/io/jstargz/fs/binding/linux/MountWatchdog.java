package io.jstargz.fs.binding.linux;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Unmounts this process's FUSE mounts when the process dies, even by SIGKILL, which runs no shutdown hook: a FUSE
 * mount whose server is gone is left "dead" (every access fails with ENOTCONN) until someone unmounts it.
 *
 * <p>One small shell process per JVM reads the list of live mounts from a pipe ({@code +type<TAB>path} when a mount
 * appears, {@code -type<TAB>path} when it goes). When the pipe closes, which the kernel does when this process exits
 * however it exits, the watchdog lazily unmounts each listed path that still carries a mount of the listed type, then
 * exits. It ignores the terminal's signals, so Ctrl-C on the foreground job does not take it down with the JVM.
 * libfuse 2's own {@code auto_unmount} was not used: it keeps one fusermount process and one socket per mount for the
 * life of the process, and would unmount a later mount at the same path when the process exits.
 */
public final class MountWatchdog {
    private static final Logger log = LoggerFactory.getLogger(MountWatchdog.class);

    private static final String SCRIPT = String.join("\n",
            "trap '' INT TERM HUP QUIT",
            "set -f",
            "cd /",
            "NL='",
            "'",
            "mounts=''",
            "while IFS= read -r line; do",
            "  case \"$line\" in",
            "    +*) mounts=\"$mounts$NL${line#+}\" ;;",
            "    -*) rest=''; IFS=$NL; for m in $mounts; do [ \"$m\" = \"${line#-}\" ] || rest=\"$rest$NL$m\"; done;"
                    + " unset IFS; mounts=$rest ;;",
            "  esac",
            "done",
            "IFS=$NL",
            "for m in $mounts; do",
            "  t=${m%%\t*}; p=${m#*\t}",
            "  if [ \"$(findmnt -n -o FSTYPE -M \"$p\" 2>/dev/null)\" = \"$t\" ]; then",
            "    umount -l \"$p\" 2>/dev/null || fusermount -u -z -q \"$p\"",
            "  fi",
            "done",
            "");

    private static final MountWatchdog INSTANCE = new MountWatchdog();

    private final Map<String, Integer> live = new LinkedHashMap<>();
    private Process process;
    private OutputStream pipe;

    private MountWatchdog() {
    }

    /** The process-wide watchdog. */
    public static MountWatchdog instance() {
        return INSTANCE;
    }

    /**
     * Records a mount so that it is unmounted if this process dies. Call it before mounting, so that no window is
     * left in which the mount exists but is not watched.
     *
     * @throws IOException if the watchdog cannot be started
     */
    public synchronized void watch(Path mountPoint, String fsType) throws IOException {
        String line = line(mountPoint, fsType);
        ensureRunning();
        send("+" + line);
        live.merge(line, 1, Integer::sum);
    }

    /** Forgets a mount (it was unmounted cleanly). */
    public synchronized void forget(Path mountPoint, String fsType) {
        String line = line(mountPoint, fsType);
        Integer n = live.get(line);
        if (n == null) {
            return;
        }
        if (n == 1) {
            live.remove(line);
        } else {
            live.put(line, n - 1);
        }
        try {
            send("-" + line);
            for (int i = 1; i < n; i++) {
                send("+" + line); // the script removes every copy of a line
            }
        } catch (IOException e) {
            log.warn("mount watchdog: cannot forget {}: {}", mountPoint, e.getMessage());
        }
    }

    /** The watchdog's process id, or -1 before the first mount. */
    public synchronized long pid() {
        return process == null ? -1 : process.pid();
    }

    private void ensureRunning() throws IOException {
        if (process != null && process.isAlive()) {
            return;
        }
        if (process != null) {
            log.warn("mount watchdog (pid {}) exited with {}; starting a new one", process.pid(),
                    process.exitValue());
        }
        process = new ProcessBuilder(List.of("/bin/sh", "-c", SCRIPT))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        pipe = process.getOutputStream();
        for (Map.Entry<String, Integer> e : live.entrySet()) {
            for (int i = 0; i < e.getValue(); i++) {
                send("+" + e.getKey());
            }
        }
    }

    private void send(String line) throws IOException {
        pipe.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        pipe.flush();
    }

    private static String line(Path mountPoint, String fsType) {
        String path = mountPoint.toString();
        if (path.indexOf('\n') >= 0 || fsType.indexOf('\n') >= 0 || fsType.indexOf('\t') >= 0) {
            throw new IllegalArgumentException("mount point or type contains a newline or tab: " + mountPoint);
        }
        return fsType + "\t" + path;
    }
}
