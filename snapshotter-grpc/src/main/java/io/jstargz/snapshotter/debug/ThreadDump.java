package io.jstargz.snapshotter.debug;

import java.lang.management.LockInfo;
import java.lang.management.ManagementFactory;
import java.lang.management.MonitorInfo;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Comparator;

/**
 * Every thread's state and whole stack, as jstack prints them ({@link ThreadInfo#toString()} stops at eight frames,
 * too few to see why a FUSE thread waits), with the monitors and locks each holds and deadlocked threads named first.
 */
final class ThreadDump {
    private ThreadDump() {
    }

    static String render() {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        ThreadInfo[] threads = mx.dumpAllThreads(mx.isObjectMonitorUsageSupported(),
                mx.isSynchronizerUsageSupported());
        Arrays.sort(threads, Comparator.comparing(ThreadInfo::getThreadName));
        StringBuilder out = new StringBuilder();
        long[] deadlocked = mx.findDeadlockedThreads();
        if (deadlocked != null) {
            out.append("DEADLOCKED thread ids: ").append(Arrays.toString(deadlocked)).append("\n\n");
        }
        out.append(threads.length).append(" threads\n\n");
        for (ThreadInfo t : threads) {
            thread(out, t);
        }
        return out.toString();
    }

    private static void thread(StringBuilder out, ThreadInfo t) {
        out.append('"').append(t.getThreadName()).append("\" #").append(t.getThreadId())
                .append(t.isDaemon() ? " daemon" : "").append(' ').append(t.getThreadState());
        if (t.getLockName() != null) {
            out.append(" on ").append(t.getLockName());
            if (t.getLockOwnerName() != null) {
                out.append(" owned by \"").append(t.getLockOwnerName()).append('"');
            }
        }
        out.append('\n');
        StackTraceElement[] stack = t.getStackTrace();
        for (int i = 0; i < stack.length; i++) {
            out.append("    at ").append(stack[i]).append('\n');
            for (MonitorInfo m : t.getLockedMonitors()) {
                if (m.getLockedStackDepth() == i) {
                    out.append("    - locked ").append(m).append('\n');
                }
            }
        }
        LockInfo[] synchronizers = t.getLockedSynchronizers();
        if (synchronizers.length > 0) {
            out.append("    holds ").append(Arrays.toString(synchronizers)).append('\n');
        }
        out.append('\n');
    }
}
