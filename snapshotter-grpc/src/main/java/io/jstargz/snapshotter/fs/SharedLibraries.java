package io.jstargz.snapshotter.fs;

import io.jstargz.concurrent.ThreadPools;
import io.jstargz.estargz.Entry;
import io.jstargz.fs.AccessListener;
import io.jstargz.fs.LayerMount;
import io.jstargz.remote.Digest;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
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
 * would map ({@link ImageLayers} knows the image's layers). All of it is best effort, on two threads of its own: a
 * file that is not ELF, a library not found, a fetch that fails, each only means the loader fetches it itself.
 */
final class SharedLibraries implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SharedLibraries.class);
    private static final String LOADER_CACHE = "/etc/ld.so.cache";
    private static final int THREADS = 2;
    /** Programs waiting to be looked at; more are let go (the loader fetches their libraries itself). */
    private static final int QUEUE = 256;

    private final ImageLayers images;
    private final ThreadPoolExecutor pool = ThreadPools.bounded("jstargz-libraries", THREADS, QUEUE);

    SharedLibraries(ImageLayers images) {
        this.images = images;
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
        LayerMount mount = images.mount(layer);
        Entry file = mount == null ? null : mount.index().lookup(path).orElse(null);
        if (file == null || !file.isRegular() || ((file.unixMode() & 0111) == 0 && !file.name().contains(".so"))) {
            return;
        }
        try {
            Optional<ElfDependencies> deps = ElfDependencies.read((offset, length) -> mount.read(file, offset, length));
            if (deps.isPresent()) {
                fetch(images.mounts(image, layer, mount), "/" + path, deps.get());
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("layer {}: not fetching the libraries of \"{}\": {}", layer, path, e.getMessage());
        }
    }

    /** Starts fetching what the loader of {@code program} (its absolute path) will open, one batch per layer. */
    private static void fetch(List<LayerMount> layers, String program, ElfDependencies deps) {
        List<ImageLayers.Located> files = new ArrayList<>();
        List<String> searchPath = searchPath(deps, program.substring(0, program.lastIndexOf('/')));
        for (String name : deps.needed()) {
            searchPath.stream().map(dir -> ImageLayers.locate(layers, dir + "/" + name)).filter(Objects::nonNull)
                    .findFirst().ifPresent(files::add);
        }
        int libraries = files.size();
        if (!deps.interpreter().isEmpty()) {
            Stream.of(deps.interpreter(), LOADER_CACHE).map(p -> ImageLayers.locate(layers, p))
                    .filter(Objects::nonNull).forEach(files::add);
        }
        int from = ImageLayers.fetchAhead(files);
        if (LOG.isDebugEnabled()) {
            LOG.debug("{}: fetching ahead {} of its {} libraries{} from {} layers", program, libraries,
                    deps.needed().size(), deps.interpreter().isEmpty() ? "" : ", its interpreter and the loader's cache",
                    from);
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

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
