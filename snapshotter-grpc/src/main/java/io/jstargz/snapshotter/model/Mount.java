package io.jstargz.snapshotter.model;

import java.util.List;

/** One mount containerd performs, in mount(2) terms. */
public record Mount(String type, String source, List<String> options) {
    public Mount {
        options = List.copyOf(options);
    }
}
