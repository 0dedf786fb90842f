package io.jstargz.snapshotter.remotelayer;

import io.jstargz.snapshotter.sys.Unmount;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/** The service used when lazy pulling is not configured: every layer falls back to a normal pull. */
public final class RemoteLayersDisabled implements RemoteLayerService {
    static final String REASON = "remote layers not configured";

    @Override
    public void prefetchNeighbours(LayerSource source, Map<String, String> labels) {
        // nothing is resolved when nothing will be mounted
    }

    @Override
    public PrepareOutcome prepare(SnapshotRef ref, Map<String, String> labels, Path mountPoint) {
        return new PrepareOutcome.Fallback(REASON);
    }

    @Override
    public void check(Path mountPoint, Map<String, String> labels) throws LayerUnavailableException {
        throw new LayerUnavailableException(REASON);
    }

    @Override
    public void restore(RemoteLayerRecord record, Map<String, String> labels) throws LayerUnavailableException {
        throw new LayerUnavailableException(REASON);
    }

    @Override
    public void unmount(Path mountPoint) throws IOException {
        Unmount.detach(mountPoint);
    }

    @Override
    public void close() {
        // holds nothing
    }
}
