package io.jstargz.snapshotter.fs;

import io.jstargz.concurrent.ThreadPools;
import io.jstargz.estargz.Entry;
import io.jstargz.estargz.EntryType;
import io.jstargz.estargz.Landmarks;
import io.jstargz.estargz.LayerIndex;
import io.jstargz.fs.AccessListener;
import io.jstargz.fs.LayerMount;
import io.jstargz.remote.Digest;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.function.Function;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches a program's shared libraries when the program is first opened, all at once, instead of one round trip
 * after another as the dynamic loader asks for them. Executing a dynamically linked program opens its interpreter,
 * then {@code /etc/ld.so.cache}, then each library it needs, each only after the one before was read: for Python on a
 * 20 ms link that is six fetches in a row, a quarter of a second. Its ELF headers name them all
 * ({@link ElfDependencies}), so at the program's first open its interpreter, the loader's cache and its libraries
 * are found in the image's layers, as the container's overlay will show them (top layer first, symlinks followed,
 * whiteouts and opaque directories obeyed), and the first chunk of each is fetched, one request per layer. The
 * libraries' own dependencies are fetched when the loader opens them, the same way.
 *
 * <p>Only bytes the loader reads anyway are fetched: a library is looked for where glibc's and musl's loaders look
 * ({@code DT_RUNPATH} or {@code DT_RPATH}, then the usual directories), and the first one found is what the loader
 * would map. The image's layers are known from the layers label of its Prepares (the lowest layer's names them all);
 * a layer mounted again after a restart knows only itself. All of it is best effort, on two threads of its own: a
 * file that is not ELF, a library not found, a fetch that fails, each only means the loader fetches it itself.
 */
final class SharedLibraries implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SharedLibraries.class);
    private static final String LOADER_CACHE = "/etc/ld.so.cache";
    private static final int THREADS = 2;
    /** Programs waiting to be looked at; more are let go (the loader fetches their libraries itself). */
    private static final int QUEUE = 256;
    /** Images whose layers are remembered; the least recently prepared is forgotten first. */
    private static final int IMAGES = 64;

    private final Function<Digest, LayerMount> mounted;
    private final ThreadPoolExecutor pool = ThreadPools.bounded("jstargz-libraries", THREADS, QUEUE);
    private final Map<String, List<Digest>> imageLayers = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, List<Digest>> eldest) {
            return size() > IMAGES;
        }
    };

    /** {@code mounted}: the mount serving a layer, or null when none does. */
    SharedLibraries(Function<Digest, LayerMount> mounted) {
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

    /** The listener of the mount of {@code layer} of {@code image}: its files' first opens come here. */
    AccessListener listener(String image, Digest layer) {
        return path -> {
            try {
                pool.execute(() -> opened(image, layer, path));
            } catch (RejectedExecutionException e) {
                LOG.debug("layer {}: not looking for the libraries of \"{}\": {}", layer, path, e.getMessage());
            }
        };
    }

    /** Fetches ahead what the program at {@code path} of {@code layer} needs, if it is one (on the calling thread). */
    void opened(String image, Digest layer, String path) {
        LayerMount mount = mounted.apply(layer);
        Entry file = mount == null ? null : mount.index().lookup(path).orElse(null);
        if (file == null || !file.isRegular() || ((file.unixMode() & 0111) == 0 && !file.name().contains(".so"))) {
            return;
        }
        try {
            Optional<ElfDependencies> deps = ElfDependencies.read((offset, length) -> mount.read(file, offset, length));
            if (deps.isPresent()) {
                fetch(layers(image, layer, mount), "/" + path, deps.get());
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("layer {}: not fetching the libraries of \"{}\": {}", layer, path, e.getMessage());
        }
    }

    /** The mounts of {@code image}'s layers, top first; at least {@code mount}, the one of {@code layer}. */
    private List<LayerMount> layers(String image, Digest layer, LayerMount mount) {
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

    /** Starts fetching what the loader of {@code program} (its absolute path) will open, one batch per layer. */
    private static void fetch(List<LayerMount> layers, String program, ElfDependencies deps) {
        List<Located> files = new ArrayList<>();
        List<String> searchPath = searchPath(deps, program.substring(0, program.lastIndexOf('/')));
        for (String name : deps.needed()) {
            searchPath.stream().map(dir -> locate(layers, dir + "/" + name)).filter(Objects::nonNull).findFirst()
                    .ifPresent(files::add);
        }
        int libraries = files.size();
        if (!deps.interpreter().isEmpty()) {
            Stream.of(deps.interpreter(), LOADER_CACHE).map(p -> locate(layers, p)).filter(Objects::nonNull)
                    .forEach(files::add);
        }
        Map<LayerMount, List<Entry>> wanted = new LinkedHashMap<>();
        files.forEach(l -> wanted.computeIfAbsent(l.mount(), m -> new ArrayList<>()).add(l.file()));
        wanted.forEach(LayerMount::fetchAhead);
        if (LOG.isDebugEnabled()) {
            LOG.debug("{}: fetching ahead {} of its {} libraries{} from {} layers", program, libraries,
                    deps.needed().size(), deps.interpreter().isEmpty() ? "" : ", its interpreter and the loader's cache",
                    wanted.size());
        }
    }

    /** Where the loader looks for a library {@code deps} names without a slash, in its order. */
    private static List<String> searchPath(ElfDependencies deps, String origin) {
        List<String> dirs = new ArrayList<>();
        for (String d : deps.searchPath()) {
            dirs.add(d.replace("${ORIGIN}", origin).replace("$ORIGIN", origin));
        }
        String triplet = switch (deps.machine()) {
            case ElfDependencies.EM_X86_64 -> "x86_64-linux-gnu";
            case ElfDependencies.EM_AARCH64 -> "aarch64-linux-gnu";
            default -> null;
        };
        dirs.add("/usr/local/lib");
        if (triplet != null) {
            dirs.addAll(List.of("/usr/local/lib/" + triplet, "/lib/" + triplet, "/usr/lib/" + triplet));
        }
        dirs.addAll(List.of("/lib64", "/usr/lib64", "/lib", "/usr/lib"));
        return dirs;
    }

    /** A regular file, and the mount of the layer that holds it. */
    private record Located(LayerMount mount, Entry file) {
    }

    /**
     * The regular file at {@code path} as the overlay of {@code layers} (top first) shows it, following symlinks
     * through all of them; null when there is none.
     */
    private static Located locate(List<LayerMount> layers, String path) {
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

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
