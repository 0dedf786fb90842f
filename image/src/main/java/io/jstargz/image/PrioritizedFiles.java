package io.jstargz.image;

import io.jstargz.estargz.Landmarks;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Assigns paths of an image's final filesystem to the layer that provides each: the topmost layer with an entry for
 * the path, unless a layer above it deletes the path or one of its parents (a {@code .wh.} whiteout, or an opaque
 * parent directory). Paths no layer provides are reported, not fatal: a recorded list may name files the workload
 * created at run time.
 */
public final class PrioritizedFiles {

    /**
     * The paths per layer (lowest layer first), each list in the order given, and the paths no layer provides.
     */
    public record Assignment(List<List<String>> perLayer, List<String> unassigned) {
        public Assignment {
            perLayer = perLayer.stream().map(List::copyOf).toList();
            unassigned = List.copyOf(unassigned);
        }
    }

    private PrioritizedFiles() {
    }

    /**
     * Assigns {@code paths} (any spelling: {@code /a/b}, {@code ./a/b}, {@code a/b}; duplicates dropped) to layers.
     *
     * @param layers the normalised entry paths of each layer, lowest first
     */
    public static Assignment assign(List<String> paths, List<? extends Collection<String>> layers) {
        List<Set<String>> sets = layers.stream().map(l -> l instanceof Set<String> s ? s : Set.copyOf(l)).toList();
        List<List<String>> perLayer = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            perLayer.add(new ArrayList<>());
        }
        List<String> unassigned = new ArrayList<>();
        for (String p : new LinkedHashSet<>(paths.stream().map(PrioritizedFiles::clean).toList())) {
            if (p.isEmpty()) {
                continue;
            }
            int layer = provider(p, sets);
            if (layer < 0) {
                unassigned.add(p);
            } else {
                perLayer.get(layer).add(p);
            }
        }
        return new Assignment(perLayer, unassigned);
    }

    private static int provider(String path, List<Set<String>> layers) {
        for (int i = layers.size() - 1; i >= 0; i--) {
            Set<String> layer = layers.get(i);
            if (layer.contains(path)) {
                return i;
            }
            if (hides(layer, path)) {
                return -1;
            }
        }
        return -1;
    }

    /** Whether the layer deletes {@code path} from the layers below: a whiteout of it or a parent, or an opaque parent. */
    private static boolean hides(Set<String> layer, String path) {
        for (String p = path; !p.isEmpty(); p = parent(p)) {
            String dir = parent(p);
            String prefix = dir.isEmpty() ? "" : dir + "/";
            if (layer.contains(prefix + Landmarks.WHITEOUT_PREFIX + p.substring(prefix.length()))) {
                return true;
            }
            if (!p.equals(path) && layer.contains(p + "/" + Landmarks.OPAQUE_MARKER)) {
                return true;
            }
        }
        return layer.contains(Landmarks.OPAQUE_MARKER);
    }

    private static String parent(String p) {
        int slash = p.lastIndexOf('/');
        return slash < 0 ? "" : p.substring(0, slash);
    }

    /** The path as a TOC names it: relative to the root, no {@code .} or empty components. */
    static String clean(String path) {
        List<String> parts = new ArrayList<>();
        for (String part : path.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                if (!parts.isEmpty()) {
                    parts.remove(parts.size() - 1);
                }
                continue;
            }
            parts.add(part);
        }
        return String.join("/", parts);
    }
}
