package io.jstargz.snapshotter.debug;

import io.jstargz.fs.binding.OperationStats;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The FUSE requests being served, by layer, with the time they have taken and where their threads are. */
final class FuseInFlight {
    private FuseInFlight() {
    }

    static String render(Map<String, List<OperationStats.InFlight>> byLayer) {
        int total = byLayer.values().stream().mapToInt(List::size).sum();
        StringBuilder out = new StringBuilder().append(total).append(" FUSE operations in flight\n");
        byLayer.forEach((layer, ops) -> {
            out.append("\nlayer ").append(layer).append('\n');
            for (OperationStats.InFlight op : ops) {
                out.append(String.format(Locale.ROOT, "  %-10s %10.3f ms  thread \"%s\"%n", op.operation(),
                        op.elapsedNanos() / 1e6, op.thread().getName()));
                for (StackTraceElement frame : op.stack()) {
                    out.append("      at ").append(frame).append('\n');
                }
            }
        });
        return out.toString();
    }
}
