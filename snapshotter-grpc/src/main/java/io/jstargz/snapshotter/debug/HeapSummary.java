package io.jstargz.snapshotter.debug;

import io.jstargz.text.Sizes;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryUsage;
import java.util.Locale;

/** The heap at a glance: what is used of what is committed and allowed, pool by pool, and what collecting cost. */
final class HeapSummary {
    private HeapSummary() {
    }

    static String render() {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        StringBuilder out = new StringBuilder();
        usage(out, "heap", memory.getHeapMemoryUsage());
        usage(out, "non-heap", memory.getNonHeapMemoryUsage());
        out.append("\npools\n");
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            usage(out, "  " + pool.getType().toString().toLowerCase(Locale.ROOT) + " " + pool.getName(),
                    pool.getUsage());
        }
        out.append("\ncollectors\n");
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            out.append(String.format(Locale.ROOT, "  %-28s %d collections, %.3f s%n", gc.getName(),
                    gc.getCollectionCount(), gc.getCollectionTime() / 1000.0));
        }
        Runtime rt = Runtime.getRuntime();
        out.append(String.format(Locale.ROOT, "%n%d processors, %d threads, %d classes loaded%n",
                rt.availableProcessors(), ManagementFactory.getThreadMXBean().getThreadCount(),
                ManagementFactory.getClassLoadingMXBean().getLoadedClassCount()));
        return out.toString();
    }

    private static void usage(StringBuilder out, String name, MemoryUsage u) {
        out.append(String.format(Locale.ROOT, "%-40s used %10s  committed %10s  max %10s%n", name,
                Sizes.human(u.getUsed()), Sizes.human(u.getCommitted()),
                u.getMax() < 0 ? "unbounded" : Sizes.human(u.getMax())));
    }
}
