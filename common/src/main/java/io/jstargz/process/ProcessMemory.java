package io.jstargz.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A process's resident memory as the kernel counts it, from {@code /proc/PID/status}: what a cgroup limit and the
 * OOM killer see, where the JVM's own figures (heap, native memory tracking) leave out the C library and the
 * kernel's view of mapped files.
 *
 * @param residentBytes {@code VmRSS}: resident now
 * @param peakBytes     {@code VmHWM}: the most that was ever resident
 */
public record ProcessMemory(long residentBytes, long peakBytes) {

    /** This process's memory. */
    public static ProcessMemory self() throws IOException {
        return read(Path.of("/proc/self/status"));
    }

    /** The memory of process {@code pid}. */
    public static ProcessMemory of(long pid) throws IOException {
        return read(Path.of("/proc", Long.toString(pid), "status"));
    }

    private static ProcessMemory read(Path status) throws IOException {
        long rss = -1;
        long hwm = -1;
        for (String line : Files.readAllLines(status)) {
            if (line.startsWith("VmRSS:")) {
                rss = kibLine(line);
            } else if (line.startsWith("VmHWM:")) {
                hwm = kibLine(line);
            }
        }
        if (rss < 0 || hwm < 0) {
            throw new IOException(status + " has no VmRSS and VmHWM lines (a kernel thread, or a zombie)");
        }
        return new ProcessMemory(rss, hwm);
    }

    /** {@code VmRSS:\t  123456 kB}, in bytes. */
    private static long kibLine(String line) {
        return Long.parseLong(line.substring(line.indexOf(':') + 1).replace("kB", "").strip()) * 1024;
    }
}
