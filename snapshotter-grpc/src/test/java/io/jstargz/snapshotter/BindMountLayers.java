package io.jstargz.snapshotter;

import io.jstargz.snapshotter.remotelayer.FetchProgress;
import io.jstargz.snapshotter.remotelayer.LayerSource;
import io.jstargz.snapshotter.remotelayer.LayerUnavailableException;
import io.jstargz.snapshotter.remotelayer.PrepareOutcome;
import io.jstargz.snapshotter.remotelayer.RemoteLayerRecord;
import io.jstargz.snapshotter.remotelayer.RemoteLayerService;
import io.jstargz.snapshotter.remotelayer.SnapshotRef;
import io.jstargz.snapshotter.sys.MountTable;
import io.jstargz.snapshotter.sys.Unmount;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Stand-in for the FUSE layer service until that module exists: "mounts" a layer by bind-mounting a prepared
 * directory, so the snapshotter's remote-layer state machine runs against real mounts.
 */
final class BindMountLayers implements RemoteLayerService {
    /** Layer digest → directory with the layer's files; a digest not here falls back. */
    final Map<String, Path> registry = new ConcurrentHashMap<>();
    /** Digests whose check fails, with the reason. */
    final Map<String, String> unreachable = new ConcurrentHashMap<>();
    final List<LayerSource> neighbourCalls = new CopyOnWriteArrayList<>();
    final AtomicInteger prepareCalls = new AtomicInteger();
    private final Map<Path, String> mounted = new ConcurrentHashMap<>();

    @Override
    public void prefetchNeighbours(LayerSource source, Map<String, String> labels) {
        neighbourCalls.add(source);
    }

    @Override
    public PrepareOutcome prepare(SnapshotRef ref, Map<String, String> labels, Path mountPoint) {
        prepareCalls.incrementAndGet();
        String digest = ref.source().layerDigest();
        Path dir = registry.get(digest);
        if (dir == null) {
            return new PrepareOutcome.Fallback("layer " + digest + " is not in the test registry");
        }
        try {
            TestMounts.bind(dir, mountPoint);
        } catch (IOException | InterruptedException e) {
            return new PrepareOutcome.Fallback("bind failed: " + e.getMessage());
        }
        mounted.put(mountPoint, digest);
        return new PrepareOutcome.Mounted("sha256:toc-of-" + digest.substring("sha256:".length()), 10);
    }

    @Override
    public void check(Path mountPoint, Map<String, String> labels) throws LayerUnavailableException {
        String digest = mounted.get(mountPoint);
        if (digest == null || !MountTable.isMountPoint(mountPoint)) {
            throw new LayerUnavailableException("nothing mounted at " + mountPoint);
        }
        String reason = unreachable.get(digest);
        if (reason != null) {
            throw new LayerUnavailableException(reason);
        }
    }

    @Override
    public void restore(RemoteLayerRecord record, Map<String, String> labels) throws LayerUnavailableException {
        Path dir = registry.get(record.layerDigest());
        if (dir == null) {
            throw new LayerUnavailableException("layer " + record.layerDigest() + " is gone from the test registry");
        }
        try {
            TestMounts.bind(dir, record.mountPoint());
        } catch (IOException | InterruptedException e) {
            throw new LayerUnavailableException("bind failed: " + e.getMessage(), e);
        }
        mounted.put(record.mountPoint(), record.layerDigest());
    }

    @Override
    public void unmount(Path mountPoint) throws IOException {
        mounted.remove(mountPoint);
        Unmount.detach(mountPoint);
    }

    @Override
    public FetchProgress progress(Path mountPoint) {
        return mounted.containsKey(mountPoint) ? new FetchProgress(5, 10) : FetchProgress.UNKNOWN;
    }

    @Override
    public void close() {
        for (Path mp : List.copyOf(mounted.keySet())) {
            try {
                unmount(mp);
            } catch (IOException e) {
                throw new IllegalStateException("cannot unmount " + mp, e);
            }
        }
    }
}
