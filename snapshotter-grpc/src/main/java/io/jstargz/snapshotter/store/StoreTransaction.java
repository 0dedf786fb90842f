package io.jstargz.snapshotter.store;

import io.jstargz.snapshotter.model.Kind;
import io.jstargz.snapshotter.model.SnapshotException;
import io.jstargz.snapshotter.model.Usage;
import io.jstargz.snapshotter.snapshot.RemoteLayerRecord;
import io.jstargz.snapshotter.snapshot.RemoteLayerState;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/** The queries, valid only inside {@link SnapshotStore#read} or {@link SnapshotStore#write}. */
public final class StoreTransaction {
    private static final String SELECT_SNAPSHOT = "SELECT s.id, s.name, s.parent_id, p.name, s.kind, s.namespace,"
            + " s.created_ns, s.updated_ns, s.size, s.inodes FROM snapshots s LEFT JOIN snapshots p ON p.id = s.parent_id";
    private static final String SELECT_REMOTE = "SELECT r.snapshot_id, s.name, r.image_ref, r.layer_digest,"
            + " r.toc_digest, r.mount_point, r.state, r.reason, r.updated_ns FROM remote_layers r"
            + " JOIN snapshots s ON s.id = r.snapshot_id";

    private final Connection c;

    StoreTransaction(Connection c) {
        this.c = c;
    }

    /** The snapshot named {@code name}, if any. */
    public Optional<StoredSnapshot> find(String name) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(SELECT_SNAPSHOT + " WHERE s.name = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                long id = rs.getLong(1);
                return Optional.of(row(rs, labels(id)));
            }
        }
    }

    /**
     * Snapshots committed for containerd target {@code target}: named {@code target}, or {@code target@<id>} when a
     * different chain already had the bare name.
     */
    public List<StoredSnapshot> findTarget(String target) throws SQLException {
        // "target@<id>" names sort between "target@" and "targetA" ('A' follows '@'): a range scan of the name index
        try (PreparedStatement ps = c.prepareStatement(SELECT_SNAPSHOT
                + " WHERE s.name = ? OR (s.name >= ? AND s.name < ?)")) {
            ps.setString(1, target);
            ps.setString(2, target + "@");
            ps.setString(3, target + "A");
            List<StoredSnapshot> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(row(rs, labels(rs.getLong(1))));
                }
            }
            return out;
        }
    }

    /** The snapshot named {@code name}; NOT_FOUND otherwise. */
    public StoredSnapshot get(String name) throws SQLException, SnapshotException {
        Optional<StoredSnapshot> s = find(name);
        if (s.isEmpty()) {
            throw SnapshotException.notFound("snapshot " + name + " does not exist");
        }
        return s.get();
    }

    /** Every snapshot, by id. */
    public List<StoredSnapshot> all() throws SQLException {
        Map<Long, Map<String, String>> labels = new HashMap<>();
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT snapshot_id, key, value FROM labels")) {
            while (rs.next()) {
                labels.computeIfAbsent(rs.getLong(1), k -> new TreeMap<>()).put(rs.getString(2), rs.getString(3));
            }
        }
        List<StoredSnapshot> out = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(SELECT_SNAPSHOT + " ORDER BY s.id")) {
            while (rs.next()) {
                out.add(row(rs, labels.getOrDefault(rs.getLong(1), Map.of())));
            }
        }
        return out;
    }

    /** The ids of all snapshots (their directory names). */
    public Set<Long> ids() throws SQLException {
        Set<Long> ids = new HashSet<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT id FROM snapshots")) {
            while (rs.next()) {
                ids.add(rs.getLong(1));
            }
        }
        return ids;
    }

    /** The ids from {@code parentId} down to the base layer: nearest parent first, as overlay's lowerdir wants. */
    public List<Long> chain(long parentId) throws SQLException {
        List<Long> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT parent_id FROM snapshots WHERE id = ?")) {
            for (long id = parentId; id != 0; ) {
                out.add(id);
                ps.setLong(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        throw new SQLException("snapshot id " + id + " in a parent chain is missing");
                    }
                    id = rs.getLong(1);
                }
            }
        }
        return out;
    }

    /** Inserts an active or view snapshot; returns its new id (never one used before). */
    public long insert(String name, long parentId, Kind kind, String namespace, Instant now,
                       Map<String, String> labels) throws SQLException {
        long id;
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO snapshots (name, parent_id, kind, namespace,"
                + " created_ns, updated_ns) VALUES (?, ?, ?, ?, ?, ?)", Statement.RETURN_GENERATED_KEYS)) {
            ps.setString(1, name);
            if (parentId == 0) {
                ps.setNull(2, java.sql.Types.INTEGER);
            } else {
                ps.setLong(2, parentId);
            }
            ps.setInt(3, kind.code());
            ps.setString(4, namespace);
            ps.setLong(5, nanos(now));
            ps.setLong(6, nanos(now));
            ps.executeUpdate();
            try (ResultSet rs = ps.getGeneratedKeys()) {
                rs.next();
                id = rs.getLong(1);
            }
        }
        putLabels(id, labels);
        return id;
    }

    /** Turns active snapshot {@code id} into committed snapshot {@code name}; labels are replaced. */
    public void commit(long id, String name, Map<String, String> labels, Usage usage, Instant now)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE snapshots SET name = ?, kind = ?, created_ns = ?,"
                + " updated_ns = ?, size = ?, inodes = ? WHERE id = ?")) {
            ps.setString(1, name);
            ps.setInt(2, Kind.COMMITTED.code());
            ps.setLong(3, nanos(now));
            ps.setLong(4, nanos(now));
            ps.setLong(5, usage.size());
            ps.setLong(6, usage.inodes());
            ps.setLong(7, id);
            ps.executeUpdate();
        }
        deleteLabels(id);
        putLabels(id, labels);
    }

    /** Replaces the labels of snapshot {@code id} and sets its updated time. */
    public void setLabels(long id, Map<String, String> labels, Instant now) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE snapshots SET updated_ns = ? WHERE id = ?")) {
            ps.setLong(1, nanos(now));
            ps.setLong(2, id);
            ps.executeUpdate();
        }
        deleteLabels(id);
        putLabels(id, labels);
    }

    /** Whether any snapshot has {@code id} as its parent. */
    public boolean hasChildren(long id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM snapshots WHERE parent_id = ? LIMIT 1")) {
            ps.setLong(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** Deletes snapshot {@code id} with its labels and remote-layer record. */
    public void delete(long id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM snapshots WHERE id = ?")) {
            ps.setLong(1, id);
            ps.executeUpdate();
        }
    }

    /** Inserts or replaces the remote-layer record of its snapshot. */
    public void putRemote(RemoteLayerRecord r) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT OR REPLACE INTO remote_layers (snapshot_id, image_ref,"
                + " layer_digest, toc_digest, mount_point, state, reason, updated_ns) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
            ps.setLong(1, r.snapshotId());
            ps.setString(2, r.imageRef());
            ps.setString(3, r.layerDigest());
            ps.setString(4, r.tocDigest());
            ps.setString(5, r.mountPoint().toString());
            ps.setString(6, r.state().name());
            ps.setString(7, r.reason());
            ps.setLong(8, nanos(r.updated()));
            ps.executeUpdate();
        }
    }

    /** The remote-layer record of snapshot {@code id}, if it has one. */
    public Optional<RemoteLayerRecord> remote(long id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(SELECT_REMOTE + " WHERE r.snapshot_id = ?")) {
            ps.setLong(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(remoteRow(rs)) : Optional.empty();
            }
        }
    }

    /** Every remote-layer record, by snapshot id. */
    public List<RemoteLayerRecord> remotes() throws SQLException {
        List<RemoteLayerRecord> out = new ArrayList<>();
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(SELECT_REMOTE + " ORDER BY r.snapshot_id")) {
            while (rs.next()) {
                out.add(remoteRow(rs));
            }
        }
        return out;
    }

    private Map<String, String> labels(long id) throws SQLException {
        Map<String, String> out = new TreeMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT key, value FROM labels WHERE snapshot_id = ?")) {
            ps.setLong(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getString(2));
                }
            }
        }
        return out;
    }

    private void putLabels(long id, Map<String, String> labels) throws SQLException {
        if (labels.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO labels (snapshot_id, key, value) VALUES (?, ?, ?)")) {
            for (Map.Entry<String, String> e : labels.entrySet()) {
                ps.setLong(1, id);
                ps.setString(2, e.getKey());
                ps.setString(3, e.getValue());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private void deleteLabels(long id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM labels WHERE snapshot_id = ?")) {
            ps.setLong(1, id);
            ps.executeUpdate();
        }
    }

    private static StoredSnapshot row(ResultSet rs, Map<String, String> labels) throws SQLException {
        String parentName = rs.getString(4);
        return new StoredSnapshot(rs.getLong(1), rs.getString(2), rs.getLong(3), parentName == null ? "" : parentName,
                Kind.ofCode(rs.getInt(5)), rs.getString(6), instant(rs.getLong(7)), instant(rs.getLong(8)),
                new Usage(rs.getLong(9), rs.getLong(10)), labels);
    }

    private static RemoteLayerRecord remoteRow(ResultSet rs) throws SQLException {
        return new RemoteLayerRecord(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4),
                rs.getString(5), Path.of(rs.getString(6)), RemoteLayerState.valueOf(rs.getString(7)),
                rs.getString(8), instant(rs.getLong(9)));
    }

    private static long nanos(Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000_000L), t.getNano());
    }

    private static Instant instant(long nanos) {
        return Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
    }
}
