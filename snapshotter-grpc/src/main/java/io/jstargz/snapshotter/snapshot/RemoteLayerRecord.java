package io.jstargz.snapshotter.snapshot;

import java.nio.file.Path;
import java.time.Instant;

/**
 * A remote-layer decision as stored in the metadata database, keyed by the snapshot it belongs to.
 *
 * @param snapshotId   the snapshot's directory id
 * @param snapshotName the snapshot's current name (the commit name once mounted)
 * @param imageRef     the image reference, or {@code ""} when the labels named none
 * @param layerDigest  the layer digest, or {@code ""}
 * @param tocDigest    the verified TOC digest once mounted, else the expected one from the labels, or {@code ""}
 * @param mountPoint   {@code <root>/snapshots/<id>/fs}
 * @param reason       why it fell back or failed; {@code ""} when mounted
 */
public record RemoteLayerRecord(long snapshotId, String snapshotName, String imageRef, String layerDigest,
                                String tocDigest, Path mountPoint, RemoteLayerState state, String reason,
                                Instant updated) {

    /** This record in another state. */
    public RemoteLayerRecord withState(RemoteLayerState newState, String newReason, Instant now) {
        return new RemoteLayerRecord(snapshotId, snapshotName, imageRef, layerDigest, tocDigest, mountPoint,
                newState, newReason, now);
    }
}
