package io.jstargz.snapshotter.fs;

import io.jstargz.estargz.Entry;
import io.jstargz.estargz.EntryType;
import io.jstargz.estargz.Landmarks;
import io.jstargz.estargz.LayerIndex;
import io.jstargz.fs.LayerMount;
import io.jstargz.remote.Digest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The layers of the images prepared lately, and their files as a container's overlay will show them: what the daemon
 * fetches ahead of a container ({@link SharedLibraries}, {@link AccountFiles}) is looked up here. The image's layers
 * are known from the layers label of its Prepares (the lowest layer's names them all); a layer mounted again after a
 * restart knows only itself.
 */
final class ImageLayers {
    /** Images whose layers are remembered; the least recently prepared is forgotten first. */
    private static final int IMAGES = 64;

    private final Function<Digest, LayerMount> mounted;
    private final Map<String, List<Digest>> imageLayers = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, List<Digest>> eldest) {
            return size() > IMAGES;
        }
    };

    /** {@code mounted}: the mount serving a layer, or null when none does. */
    ImageLayers(Function<Digest, LayerMount> mounted) {
        this.mounted = mounted;
    }

    /**
     * Remembers the layers of {@code image}: {@code layers} as a Prepare's layers label names them, lowest first
     * (containerd names the prepared layer and those above it). The longest list seen is kept.
     */
    synchronized void image(String image, List<Digest> layers) {
        List<Digest> known = imageLayers.get(image);
        if (known == null || known.size() < layers.size()) {
            imageLayers.put(image, List.copyOf(layers));
        }
    }

    /** The mount serving {@code layer}, or null when none does. */
    LayerMount mount(Digest layer) {
        return mounted.apply(layer);
    }

    /** Whether {@code layer} is the top layer of {@code image}, as far as its Prepares told. */
    synchronized boolean isTop(String image, Digest layer) {
        List<Digest> known = imageLayers.get(image);
        return known != null && known.get(known.size() - 1).equals(layer);
    }

    /** The mounts of {@code image}'s layers, top first; at least {@code mount}, the one of {@code layer}. */
    List<LayerMount> mounts(String image, Digest layer, LayerMount mount) {
        List<Digest> digests;
        synchronized (this) {
            digests = imageLayers.getOrDefault(image, List.of());
        }
        if (!digests.contains(layer)) {
            return List.of(mount);
        }
        List<LayerMount> top = new ArrayList<>();
        for (int i = digests.size() - 1; i >= 0; i--) {
            LayerMount m = mounted.apply(digests.get(i));
            if (m != null) {
                top.add(m);
            }
        }
        return top;
    }

    /** Starts fetching the first chunk of each of {@code files}, one request per layer; returns how many layers. */
    static int fetchAhead(List<Located> files) {
        Map<LayerMount, List<Entry>> wanted = new LinkedHashMap<>();
        files.forEach(l -> wanted.computeIfAbsent(l.mount(), m -> new ArrayList<>()).add(l.file()));
        wanted.forEach(LayerMount::fetchAhead);
        return wanted.size();
    }

    /** A regular file, and the mount of the layer that holds it. */
    record Located(LayerMount mount, Entry file) {
    }

    /**
     * The regular file at {@code path} as the overlay of {@code layers} (top first) shows it, following symlinks
     * through all of them; null when there is none.
     */
    static Located locate(List<LayerMount> layers, String path) {
        Deque<String> todo = new ArrayDeque<>();
        push(todo, path);
        List<String> dir = new ArrayList<>();
        int links = 0;
        while (!todo.isEmpty()) {
            String part = todo.pop();
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                if (!dir.isEmpty()) {
                    dir.remove(dir.size() - 1);
                }
                continue;
            }
            Located found = topmost(layers, String.join("/", dir), part);
            if (found == null) {
                return null;
            }
            Entry e = found.file();
            if (e.type() == EntryType.SYMLINK) {
                if (++links > LayerIndex.MAX_SYMLINKS || e.linkName().isEmpty()) {
                    return null;
                }
                if (e.linkName().startsWith("/")) {
                    dir.clear();
                }
                push(todo, e.linkName());
            } else if (todo.isEmpty()) {
                return e.isRegular() ? found : null;
            } else if (e.isDirectory()) {
                dir.add(part);
            } else {
                return null;
            }
        }
        return null;
    }

    /** Pushes the components of {@code path} so that the first is popped first. */
    private static void push(Deque<String> todo, String path) {
        String[] parts = path.split("/");
        for (int i = parts.length - 1; i >= 0; i--) {
            todo.push(parts[i]);
        }
    }

    /** The entry {@code name} of directory {@code dir} in the topmost layer that has it, unless one above hides it. */
    private static Located topmost(List<LayerMount> layers, String dir, String name) {
        String at = dir.isEmpty() ? name : dir + "/" + name;
        for (LayerMount m : layers) {
            LayerIndex index = m.index();
            Optional<Entry> e = index.lookup(at);
            if (e.isPresent()) {
                return new Located(m, e.get());
            }
            if (index.lookup((dir.isEmpty() ? "" : dir + "/") + Landmarks.WHITEOUT_PREFIX + name).isPresent()
                    || index.lookup(dir).map(Entry::isOpaque).orElse(false)) {
                return null;
            }
        }
        return null;
    }
}
