package io.jstargz.snapshotter.fs;

import io.jstargz.fs.LayerMount;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches an image's {@code /etc/passwd} and {@code /etc/group} as soon as its top layer is mounted. Every container's
 * start reads them before its program runs, one after the other: containerd for the user's groups (through a
 * temporary mount of the container's root), then runc for the user. On layers mounted lazily without a prefetch, each
 * was a round trip to the registry on the way to a running container; fetched while containerd still sets the
 * container up, they cost none. They are a few KB, and the files the overlay will show are fetched ({@link
 * ImageLayers#locate}), in one request per layer. Best effort: a file not found, or a fetch that fails, only means the
 * read fetches it.
 */
final class AccountFiles {
    private static final Logger LOG = LoggerFactory.getLogger(AccountFiles.class);
    private static final List<String> FILES = List.of("/etc/passwd", "/etc/group");

    private AccountFiles() {
    }

    /** Starts fetching the files of {@code image} from {@code layers} (its mounts, top first); returns at once. */
    static void fetch(String image, List<LayerMount> layers) {
        List<ImageLayers.Located> files = FILES.stream().map(p -> ImageLayers.locate(layers, p))
                .filter(Objects::nonNull).toList();
        int from = ImageLayers.fetchAhead(files);
        LOG.debug("{}: fetching ahead {} of its {} account files from {} layers", image, files.size(), FILES.size(),
                from);
    }
}
