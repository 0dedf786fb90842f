package io.jstargz.snapshotter.snapshot;

import io.jstargz.concurrent.ThreadPools;
import io.jstargz.mount.MountTable;
import io.jstargz.mount.Unmounter;
import io.jstargz.snapshotter.model.SnapshotException;
import io.jstargz.snapshotter.model.Usage;
import io.jstargz.snapshotter.store.SnapshotStore;
import io.jstargz.snapshotter.store.StoredSnapshot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The snapshotter's side of lazy layers: on Prepare, tries the remote mount a {@link LayerRequest} asks for and
 * commits a mounted layer under its target name (so containerd skips pulling it); records every decision; checks
 * availability before handing out mounts; restores mounts after a restart. See {@link RemoteLayerState} for the state
 * machine.
 */
final class RemoteLayers implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RemoteLayers.class);
    private static final int PARALLELISM = 8;

    private final SnapshotStore store;
    private final SnapshotDirectories dirs;
    private final RemoteLayerService service;
    private final Clock clock;
    private final Map<Long, Object> restoreLocks = new ConcurrentHashMap<>();
    private final ExecutorService checks = ThreadPools.bounded("jstargz-layer-check", PARALLELISM);

    RemoteLayers(SnapshotStore store, SnapshotDirectories dirs, RemoteLayerService service, Clock clock) {
        this.store = store;
        this.dirs = dirs;
        this.service = service;
        this.clock = clock;
    }

    /** ALREADY_EXISTS when a mounted remote layer for {@code target} on {@code parent} is already committed. */
    void rejectIfMounted(String target, String parent) throws SnapshotException, IOException {
        Optional<StoredSnapshot> existing = store.read(tx -> {
            for (StoredSnapshot s : tx.findTarget(target)) {
                Optional<RemoteLayerRecord> r = tx.remote(s.id());
                if (r.isPresent() && r.get().state() != RemoteLayerState.FALLBACK && isTarget(s, target, parent)) {
                    return Optional.of(s);
                }
            }
            return Optional.empty();
        });
        if (existing.isPresent()) {
            throw SnapshotException.alreadyExists("target snapshot \"" + target + "\"");
        }
    }

    /**
     * Tries the remote mount {@code request} asks for on the freshly created active snapshot {@code id}: a
     * {@link PrepareOutcome.Mounted} layer is committed under its target before this returns, a
     * {@link PrepareOutcome.Fallback} is to be pulled normally. The decision is recorded either way.
     *
     * @param labels the Prepare's labels, which a mounted layer's snapshot is committed with
     */
    PrepareOutcome prepare(long id, String parent, LayerRequest request, Map<String, String> labels)
            throws SnapshotException, IOException {
        Path mountPoint = dirs.upper(id);
        PrepareOutcome outcome = request.refusal().<PrepareOutcome>map(PrepareOutcome.Fallback::new)
                .orElseGet(() -> mount(request, mountPoint));
        if (outcome instanceof PrepareOutcome.Mounted mounted) {
            commitMounted(id, parent, request, labels, mountPoint, mounted);
        } else {
            detachLeftover(mountPoint);
            recordFallback(id, request, mountPoint, ((PrepareOutcome.Fallback) outcome).reason());
        }
        return outcome;
    }

    private PrepareOutcome mount(LayerRequest request, Path mountPoint) {
        try {
            return service.prepare(request, mountPoint);
        } catch (RuntimeException e) {
            return new PrepareOutcome.Fallback("remote layer service failed: " + e);
        }
    }

    private void commitMounted(long id, String parent, LayerRequest request, Map<String, String> labels,
                               Path mountPoint, PrepareOutcome.Mounted mounted) throws SnapshotException, IOException {
        String target = request.target();
        Map<String, String> committed = LayerRequest.committed(labels);
        RemoteLayerRecord[] record = {null};
        boolean duplicate;
        try {
            duplicate = store.write(tx -> {
                Optional<StoredSnapshot> sameName = tx.find(target);
                if (sameName.isPresent() && isTarget(sameName.get(), target, parent)) {
                    // prepared concurrently (another namespace): keep the first, drop ours
                    tx.delete(id);
                    return true;
                }
                // a different chain already uses the bare name: stay unique, containerd finds us by label
                String name = sameName.isPresent() ? target + "@" + id : target;
                tx.commit(id, name, committed, Usage.ZERO, clock.instant());
                record[0] = new RemoteLayerRecord(id, name, request.imageRef(), request.layerDigest(),
                        mounted.tocDigest(), mountPoint, RemoteLayerState.MOUNTED, "", clock.instant());
                tx.putRemote(record[0]);
                return false;
            });
        } catch (SnapshotException | IOException | RuntimeException e) {
            unmountQuietly(mountPoint);
            throw e;
        }
        if (duplicate) {
            unmountQuietly(mountPoint);
            dirs.remove(id);
        } else {
            LOG.info("layer {} of {} mounted lazily at {} (snapshot {}): {}", request.layerDigest(),
                    request.imageRef(), mountPoint, target, mounted.detail());
            mounted.ready().whenComplete((v, e) -> {
                if (e != null) {
                    String reason = "mounting failed: " + (e.getCause() == null ? e : e.getCause()).getMessage();
                    LOG.warn("layer {} of {} (snapshot {}): {}", request.layerDigest(), request.imageRef(), target,
                            reason);
                    update(record[0].withState(RemoteLayerState.FAILED, reason, clock.instant()));
                }
            });
        }
    }

    private void recordFallback(long id, LayerRequest request, Path mountPoint, String reason)
            throws SnapshotException, IOException {
        String digest = request.layerDigest();
        store.write(tx -> {
            tx.putRemote(new RemoteLayerRecord(id, "", request.imageRef(), digest,
                    request.expectedTocDigest().orElse(""), mountPoint, RemoteLayerState.FALLBACK, reason,
                    clock.instant()));
            return null;
        });
        LOG.info("layer {} of {} pulled normally: {}", digest.isEmpty() ? request.target() : digest,
                request.imageRef().isEmpty() ? "an unnamed image" : request.imageRef(), reason);
    }

    private static boolean isTarget(StoredSnapshot s, String target, String parent) {
        return LayerRequest.target(s.labels()).filter(target::equals).isPresent() && parent.equals(s.parentName());
    }

    /**
     * Checks, in parallel, every remote layer among {@code ids} (a parent chain) before its mounts are handed
     * out; a layer that failed to restore is tried again first.
     */
    void checkChain(List<Long> ids) throws SnapshotException, IOException {
        if (ids.isEmpty()) {
            return;
        }
        List<RemoteLayerRecord> layers = new ArrayList<>();
        Map<Long, Map<String, String>> labels = new HashMap<>();
        store.read(tx -> {
            for (long id : ids) {
                Optional<RemoteLayerRecord> r = tx.remote(id);
                if (r.isPresent() && r.get().state() != RemoteLayerState.FALLBACK) {
                    layers.add(r.get());
                    labels.put(id, tx.find(r.get().snapshotName()).map(StoredSnapshot::labels).orElse(Map.of()));
                }
            }
            return null;
        });
        List<CompletableFuture<Void>> futures = new ArrayList<>();
        for (RemoteLayerRecord r : layers) {
            futures.add(CompletableFuture.runAsync(() -> checkOne(r, labels.get(r.snapshotId())), checks));
        }
        try {
            CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof UnavailableLayer u) {
                throw SnapshotException.unavailable(u.getMessage());
            }
            throw e;
        }
    }

    private void checkOne(RemoteLayerRecord r, Map<String, String> labels) {
        try {
            if (r.state() == RemoteLayerState.FAILED) {
                restoreIfStillFailed(r, labels);
            }
            service.check(r.mountPoint());
        } catch (LayerUnavailableException e) {
            LOG.warn("layer {} of {} (snapshot {}) is unavailable: {}", r.layerDigest(), r.imageRef(),
                    r.snapshotName(), e.getMessage());
            throw new UnavailableLayer("layer " + r.layerDigest() + " (snapshot " + r.snapshotName()
                    + ") unavailable: " + e.getMessage());
        }
    }

    /** Mounts again every layer a previous run mounted; a layer that fails is recorded as FAILED, not fatal. */
    void restoreAll() throws SnapshotException, IOException {
        Map<RemoteLayerRecord, Map<String, String>> todo = new HashMap<>();
        store.read(tx -> {
            for (RemoteLayerRecord r : tx.remotes()) {
                if (r.state() != RemoteLayerState.FALLBACK) {
                    todo.put(r, tx.find(r.snapshotName()).map(StoredSnapshot::labels).orElse(Map.of()));
                }
            }
            return null;
        });
        List<CompletableFuture<Void>> futures = new ArrayList<>();
        todo.forEach((r, labels) -> futures.add(CompletableFuture.runAsync(() -> {
            try {
                restoreOne(r, labels);
            } catch (LayerUnavailableException e) {
                LOG.warn("layer {} of {} (snapshot {}) not restored: {}", r.layerDigest(), r.imageRef(),
                        r.snapshotName(), e.getMessage());
            }
        }, checks)));
        CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).join();
        service.restored();
    }

    /** Restores a FAILED layer on use; concurrent users of the same layer wait for one attempt. */
    private void restoreIfStillFailed(RemoteLayerRecord r, Map<String, String> labels)
            throws LayerUnavailableException {
        synchronized (restoreLocks.computeIfAbsent(r.snapshotId(), id -> new Object())) {
            Optional<RemoteLayerRecord> now;
            try {
                now = store.read(tx -> tx.remote(r.snapshotId()));
            } catch (SnapshotException | IOException e) {
                throw new LayerUnavailableException("cannot read its record: " + e.getMessage(), e);
            }
            if (now.isEmpty()) {
                throw new LayerUnavailableException("its snapshot was removed");
            }
            if (now.get().state() == RemoteLayerState.FAILED) {
                restoreOne(now.get(), labels);
            }
        }
    }

    private void restoreOne(RemoteLayerRecord r, Map<String, String> labels) throws LayerUnavailableException {
        try {
            if (!service.keptMounts().contains(r.mountPoint())) {
                // never a stat of a kept mount: nobody serves it until it is adopted, so the stat would wait forever
                Files.createDirectories(r.mountPoint());
            }
            service.restore(LayerRequest.ofRecord(r, labels), r.mountPoint());
            update(r.withState(RemoteLayerState.MOUNTED, "", clock.instant()));
            LOG.info("layer {} of {} mounted lazily at {} (restored, snapshot {})", r.layerDigest(), r.imageRef(),
                    r.mountPoint(), r.snapshotName());
        } catch (LayerUnavailableException | IOException | RuntimeException e) {
            String reason = "restore failed: " + e.getMessage();
            update(r.withState(RemoteLayerState.FAILED, reason, clock.instant()));
            throw new LayerUnavailableException(reason, e);
        }
    }

    private void update(RemoteLayerRecord r) {
        try {
            store.write(tx -> {
                if (tx.remote(r.snapshotId()).isPresent()) {
                    tx.putRemote(r);
                }
                return null;
            });
        } catch (SnapshotException | IOException e) {
            LOG.error("cannot record state {} of layer {} (snapshot {}): {}", r.state(), r.layerDigest(),
                    r.snapshotName(), e.getMessage());
        }
    }

    /** Cache fill of a mounted layer. */
    FetchProgress progress(RemoteLayerRecord r) {
        return r.state() == RemoteLayerState.MOUNTED ? service.progress(r.mountPoint()) : FetchProgress.UNKNOWN;
    }

    /** Unmounts the layer of a removed snapshot; failures are logged (the removal is already committed). */
    void removed(RemoteLayerRecord r) {
        restoreLocks.remove(r.snapshotId());
        if (r.state() != RemoteLayerState.FALLBACK) {
            unmountQuietly(r.mountPoint());
        }
    }

    /** Unmounts whatever the service mounted at {@code mountPoint}; failures are logged. */
    void unmountQuietly(Path mountPoint) {
        try {
            service.unmount(mountPoint);
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot unmount remote layer at {}: {}", mountPoint, e.getMessage());
        }
    }

    private static void detachLeftover(Path mountPoint) throws IOException {
        if (MountTable.at(mountPoint).isPresent()) {
            LOG.warn("remote layer service left {} mounted after a fallback; detaching it", mountPoint);
            Unmounter.detach(mountPoint);
        }
    }

    /** Unmounts every mounted layer (their records stay, to be restored at the next start). */
    @Override
    public void close() {
        checks.shutdownNow();
        service.close();
    }

    /** Carries a check failure out of the parallel checks. */
    private static final class UnavailableLayer extends RuntimeException {
        UnavailableLayer(String message) {
            super(message, null, false, false);
        }
    }
}
