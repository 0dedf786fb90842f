package io.jstargz.image;

import io.jstargz.fs.AccessListener;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Collects the files a workload opens across an image's stacked layers, in first-open order. Through overlayfs a
 * path is opened in the topmost layer that has it, so the layer that reports it is the one that provides it.
 */
final class AccessRecorder {

    /** A file opened, and the layer (0 = lowest) it was opened in. */
    record Access(String path, int layer) {
    }

    private final List<Access> accesses = new ArrayList<>();
    private final Set<String> seen = new HashSet<>();

    /** The listener for layer {@code layer}'s mount. */
    AccessListener listener(int layer) {
        return path -> record(path, layer);
    }

    private synchronized void record(String path, int layer) {
        String clean = PrioritizedFiles.clean(path);
        if (seen.add(clean)) {
            accesses.add(new Access(clean, layer));
        }
    }

    synchronized List<Access> accesses() {
        return List.copyOf(accesses);
    }
}
