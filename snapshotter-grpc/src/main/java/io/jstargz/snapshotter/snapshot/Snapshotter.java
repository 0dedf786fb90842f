package io.jstargz.snapshotter.snapshot;

import io.jstargz.metrics.LatencyHistogram;
import io.jstargz.mount.FileTrees;
import io.jstargz.snapshotter.filter.Filter;
import io.jstargz.snapshotter.filter.FilterSyntaxException;
import io.jstargz.snapshotter.model.Kind;
import io.jstargz.snapshotter.model.Labels;
import io.jstargz.snapshotter.model.Mount;
import io.jstargz.snapshotter.model.SnapshotException;
import io.jstargz.snapshotter.model.SnapshotInfo;
import io.jstargz.snapshotter.model.Usage;
import io.jstargz.snapshotter.store.SnapshotStore;
import io.jstargz.snapshotter.store.StoredSnapshot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A containerd snapshotter with the semantics of containerd's overlayfs snapshotter, plus lazily mounted remote
 * layers. Transport-independent: the gRPC service is a thin adapter. Errors containerd distinguishes are
 * {@link SnapshotException}s; an {@link IOException} is a local failure (disk, database).
 */
public final class Snapshotter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Snapshotter.class);

    private final SnapshotStore store;
    private final SnapshotDirectories dirs;
    private final OverlayMounts overlay;
    private final RemoteLayers remote;
    private final boolean allowNoVerification;
    private final Clock clock;
    private final LatencyHistogram prepares = new LatencyHistogram();

    private Snapshotter(SnapshotStore store, SnapshotDirectories dirs, OverlayMounts overlay, RemoteLayers remote,
                        boolean allowNoVerification, Clock clock) {
        this.store = store;
        this.dirs = dirs;
        this.overlay = overlay;
        this.remote = remote;
        this.allowNoVerification = allowNoVerification;
        this.clock = clock;
    }

    /**
     * Opens the snapshotter rooted at {@code root} (created if missing) and brings disk and database into
     * agreement: leftover mounts under {@code snapshots/} are detached (but for those the service kept alive to
     * adopt), directories no snapshot owns are removed,
     * and remote layers recorded as mounted are mounted again.
     *
     * @param allowNoVerification whether a layer may be mounted without checking its TOC when its labels ask
     *                            ({@code allow_no_verification})
     */
    public static Snapshotter open(Path root, RemoteLayerService service, boolean allowNoVerification)
            throws IOException {
        Files.createDirectories(root);
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwx------"));
        SnapshotDirectories dirs = new SnapshotDirectories(root);
        SnapshotStore store = SnapshotStore.open(root.resolve("metadata.db"), service::keepFreeSpace);
        Clock clock = Clock.systemUTC();
        Snapshotter s = new Snapshotter(store, dirs, OverlayMounts.detect(dirs),
                new RemoteLayers(store, dirs, service, clock), allowNoVerification, clock);
        try {
            for (Path stale : FileTrees.detachAllUnder(dirs.snapshotsDir(), service.keptMounts())) {
                LOG.info("detached stale mount {}", stale);
            }
            s.cleanup();
            s.remote.restoreAll();
        } catch (SnapshotException | IOException | RuntimeException e) {
            s.close();
            throw e instanceof IOException io ? io : new IOException("cannot open snapshotter at " + root, e);
        }
        return s;
    }

    /**
     * Creates active snapshot {@code key} on {@code parent}. When its labels ask for a layer to be unpacked, the
     * layer is tried as a remote snapshot first: mounted, it is committed under its target and containerd is told it
     * already exists; otherwise containerd gets the mounts to unpack it into.
     */
    public List<Mount> prepare(String namespace, String key, String parent, Map<String, String> labels)
            throws SnapshotException, IOException {
        long start = System.nanoTime();
        try {
            return prepareSnapshot(namespace, key, parent, labels);
        } finally {
            prepares.record(start);
        }
    }

    /** How long Prepare took, whatever its outcome (a mounted layer answers ALREADY_EXISTS). */
    public LatencyHistogram.Snapshot prepareLatency() {
        return prepares.snapshot();
    }

    private List<Mount> prepareSnapshot(String namespace, String key, String parent, Map<String, String> labels)
            throws SnapshotException, IOException {
        Map<String, String> valid = Labels.validated(labels);
        Optional<LayerRequest> layer = LayerRequest.fromLabels(valid, allowNoVerification);
        if (layer.isPresent()) {
            remote.rejectIfMounted(layer.get().target(), parent);
        }
        // a layer to unpack or mount lazily needs no parent that serves reads (only mounts handed out do), and a
        // directory that becomes a mount point needs no owner
        Created c = create(namespace, key, parent, Kind.ACTIVE, valid, layer.isEmpty());
        if (layer.isPresent()) {
            if (remote.prepare(c.id(), parent, layer.get(), valid) instanceof PrepareOutcome.Mounted) {
                throw SnapshotException.alreadyExists("target snapshot \"" + layer.get().target() + "\"");
            }
            // it fell back: containerd mounts it to apply the layer
            remote.checkChain(c.parents());
            if (!c.parents().isEmpty()) {
                dirs.copyOwner(c.parents().get(0), c.id());
            }
        }
        return overlay.mounts(c.id(), Kind.ACTIVE, c.parents());
    }

    /** Creates read-only snapshot {@code key} on {@code parent}. */
    public List<Mount> view(String namespace, String key, String parent, Map<String, String> labels)
            throws SnapshotException, IOException {
        Created c = create(namespace, key, parent, Kind.VIEW, Labels.validated(labels), true);
        return overlay.mounts(c.id(), Kind.VIEW, c.parents());
    }

    private record Created(long id, List<Long> parents) {
    }

    /** Creates a snapshot; {@code forMounts}: its mounts are handed out, so its parents are checked first. */
    private Created create(String namespace, String key, String parent, Kind kind, Map<String, String> labels,
                           boolean forMounts) throws SnapshotException, IOException {
        if (key.isEmpty()) {
            throw SnapshotException.invalidArgument("snapshot key must not be empty");
        }
        if (forMounts && !parent.isEmpty()) {
            // before anything is created: a parent chain with an unavailable layer would not mount anyway
            remote.checkChain(store.read(tx -> {
                Optional<StoredSnapshot> p = tx.find(parent);
                return p.isPresent() ? tx.chain(p.get().id()) : List.of();
            }));
        }
        long[] made = {0};
        try {
            return store.write(tx -> {
                long parentId = 0;
                List<Long> parents = List.of();
                if (!parent.isEmpty()) {
                    StoredSnapshot p = tx.find(parent).orElseThrow(
                            () -> SnapshotException.notFound("missing parent \"" + parent + "\" of snapshot " + key));
                    if (p.kind() != Kind.COMMITTED) {
                        throw SnapshotException.invalidArgument("parent \"" + parent + "\" is not committed snapshot");
                    }
                    parentId = p.id();
                    parents = tx.chain(parentId);
                }
                if (tx.find(key).isPresent()) {
                    throw SnapshotException.alreadyExists("snapshot " + key);
                }
                long id = tx.insert(key, parentId, kind, namespace, clock.instant(), labels);
                made[0] = id;
                dirs.create(id, kind, forMounts ? parentId : 0);
                return new Created(id, parents);
            });
        } catch (SnapshotException | IOException | RuntimeException e) {
            if (made[0] != 0) {
                removeDirQuietly(made[0]); // the transaction did not commit: the directory is nobody's
            }
            throw e;
        }
    }

    /** The mounts of active or view snapshot {@code key}, after checking its remote layers are available. */
    public List<Mount> mounts(String key) throws SnapshotException, IOException {
        record Found(StoredSnapshot s, List<Long> parents) {
        }
        Found f = store.read(tx -> {
            StoredSnapshot s = tx.get(key);
            if (s.kind() == Kind.COMMITTED) {
                throw SnapshotException.failedPrecondition("requested snapshot " + key + " not active or view");
            }
            return new Found(s, s.parentId() == 0 ? List.of() : tx.chain(s.parentId()));
        });
        remote.checkChain(f.parents());
        return overlay.mounts(f.s().id(), f.s().kind(), f.parents());
    }

    /**
     * Commits active snapshot {@code key} as {@code name} with {@code labels} (replacing its labels). A non-empty
     * {@code parent} (containerd 2.2+) must be the snapshot's parent: rebasing is not supported.
     */
    public void commit(String name, String key, Map<String, String> labels, String parent)
            throws SnapshotException, IOException {
        Map<String, String> valid = Labels.validated(labels);
        StoredSnapshot before = store.read(tx -> tx.get(key));
        if (!parent.isEmpty() && !parent.equals(before.parentName())) {
            throw SnapshotException.invalidArgument("commit of " + key + " onto parent \"" + parent
                    + "\": its parent is \"" + before.parentName() + "\" and rebasing is not supported");
        }
        // measured outside the transaction: containerd no longer writes to a snapshot it commits
        Usage usage = before.kind() == Kind.ACTIVE ? dirs.usage(before.id()) : Usage.ZERO;
        store.write(tx -> {
            if (tx.find(name).isPresent()) {
                throw SnapshotException.alreadyExists("committed snapshot " + name);
            }
            StoredSnapshot s = tx.get(key);
            if (s.kind() != Kind.ACTIVE) {
                throw SnapshotException.failedPrecondition("snapshot \"" + key + "\" is not active");
            }
            if (s.id() != before.id()) {
                throw SnapshotException.failedPrecondition("snapshot \"" + key + "\" was replaced during commit");
            }
            tx.commit(s.id(), name, valid, usage, clock.instant());
            return null;
        });
    }

    /** Removes snapshot {@code key}; refused while it has children. Its directory goes after the transaction. */
    public void remove(String key) throws SnapshotException, IOException {
        record Removed(long id, Optional<RemoteLayerRecord> remote) {
        }
        Removed r = store.write(tx -> {
            StoredSnapshot s = tx.get(key);
            if (tx.hasChildren(s.id())) {
                throw SnapshotException.failedPrecondition("cannot remove snapshot " + key + " with child");
            }
            Optional<RemoteLayerRecord> rec = tx.remote(s.id());
            tx.delete(s.id());
            return new Removed(s.id(), rec);
        });
        r.remote().ifPresent(remote::removed);
        removeDirQuietly(r.id());
    }

    /** The info of snapshot {@code key} (any kind). */
    public SnapshotInfo stat(String key) throws SnapshotException, IOException {
        return store.read(tx -> tx.get(key).info());
    }

    /**
     * Updates the labels of snapshot {@code info.name()}: field paths {@code labels} (all) or {@code labels.KEY}
     * (one; absent in {@code info} means delete); no paths means all mutable fields. Anything else is immutable.
     */
    public SnapshotInfo update(SnapshotInfo info, List<String> fieldPaths) throws SnapshotException, IOException {
        if (info.name().isEmpty()) {
            throw SnapshotException.invalidArgument("snapshot name must not be empty");
        }
        Map<String, String> incoming = Labels.validated(info.labels());
        return store.write(tx -> {
            StoredSnapshot s = tx.get(info.name());
            Map<String, String> labels = new HashMap<>(s.labels());
            if (fieldPaths.isEmpty()) {
                labels = new HashMap<>(incoming);
            }
            for (String path : fieldPaths) {
                if (path.startsWith("labels.")) {
                    String k = path.substring("labels.".length());
                    if (incoming.containsKey(k)) {
                        labels.put(k, incoming.get(k));
                    } else {
                        labels.remove(k);
                    }
                } else if (path.equals("labels")) {
                    labels = new HashMap<>(incoming);
                } else {
                    throw SnapshotException.invalidArgument(
                            "cannot update \"" + path + "\" field on snapshot \"" + info.name() + "\"");
                }
            }
            tx.setLabels(s.id(), labels, clock.instant());
            return tx.get(info.name()).info();
        });
    }

    /** Every snapshot matching any of {@code filters} (containerd filter syntax; none means all), by name. */
    public List<SnapshotInfo> list(List<String> filters) throws SnapshotException, IOException {
        Filter filter;
        try {
            filter = Filter.parseAny(filters);
        } catch (FilterSyntaxException e) {
            throw SnapshotException.invalidArgument(e.getMessage());
        }
        List<SnapshotInfo> out = new ArrayList<>();
        for (StoredSnapshot s : store.read(tx -> tx.all())) {
            SnapshotInfo info = s.info();
            if (filter.matches(path -> SnapshotFields.get(info, path))) {
                out.add(info);
            }
        }
        out.sort(Comparator.comparing(SnapshotInfo::name));
        return out;
    }

    /** Usage of {@code key}: measured now for an active snapshot, as stored at commit otherwise. */
    public Usage usage(String key) throws SnapshotException, IOException {
        StoredSnapshot s = store.read(tx -> tx.get(key));
        return s.kind() == Kind.ACTIVE ? dirs.usage(s.id()) : s.usage();
    }

    /**
     * Removes directories that belong to no snapshot (left by a crash or a failed removal). They are moved aside
     * under the write lock, so a snapshot created meanwhile that reuses an uncommitted id is never touched.
     */
    public void cleanup() throws SnapshotException, IOException {
        List<Path> trash = store.write(tx -> {
            List<Path> moved = new ArrayList<>();
            for (Path orphan : dirs.orphans(tx.ids())) {
                if (orphan.getFileName().toString().startsWith("trash-")) {
                    moved.add(orphan);
                } else {
                    Path aside = orphan.resolveSibling("trash-" + orphan.getFileName());
                    Files.move(orphan, aside);
                    moved.add(aside);
                }
            }
            return moved;
        });
        for (Path t : trash) {
            remote.unmountQuietly(t.resolve("fs"));
            try {
                FileTrees.removeTree(t);
                LOG.info("removed orphan snapshot directory {}", t);
            } catch (IOException e) {
                LOG.warn("cannot remove orphan snapshot directory {}: {}", t, e.getMessage());
            }
        }
    }

    /** Every snapshot with its remote-layer record, for {@code jstargz status}. */
    public List<LayerStatus> status() throws SnapshotException, IOException {
        record Rows(List<StoredSnapshot> snapshots, Map<Long, RemoteLayerRecord> remotes) {
        }
        Rows rows = store.read(tx -> {
            Map<Long, RemoteLayerRecord> remotes = new HashMap<>();
            for (RemoteLayerRecord r : tx.remotes()) {
                remotes.put(r.snapshotId(), r);
            }
            return new Rows(tx.all(), remotes);
        });
        List<LayerStatus> out = new ArrayList<>();
        for (StoredSnapshot s : rows.snapshots()) {
            Optional<RemoteLayerRecord> r = Optional.ofNullable(rows.remotes().get(s.id()));
            out.add(new LayerStatus(s, r, r.map(remote::progress).orElse(FetchProgress.UNKNOWN)));
        }
        return out;
    }

    private void removeDirQuietly(long id) {
        try {
            dirs.remove(id);
        } catch (IOException e) {
            LOG.warn("cannot remove directory of snapshot id {} (Cleanup will retry): {}", id, e.getMessage());
        }
    }

    /** Unmounts remote layers (they are restored at the next open) and closes the database. */
    @Override
    public void close() throws IOException {
        try {
            remote.close();
        } finally {
            store.close();
        }
    }
}
