package io.jstargz.snapshotter.store;

import io.jstargz.snapshotter.model.SnapshotException;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.locks.ReentrantLock;
import org.sqlite.SQLiteConfig;

/**
 * The metadata database: SQLite in WAL mode at {@code <root>/metadata.db}. Every state change runs in one
 * {@code BEGIN IMMEDIATE} transaction, so a crash leaves either all of it or none of it. One connection serves
 * all callers, one at a time; every statement is short (no I/O besides SQLite's own happens inside a transaction
 * except creating or renaming a directory).
 */
public final class SnapshotStore implements AutoCloseable {
    /** Work done inside a transaction. */
    @FunctionalInterface
    public interface Work<T> {
        T run(StoreTransaction tx) throws SQLException, SnapshotException, IOException;
    }

    private static final int SCHEMA_VERSION = 1;
    private static final String[] SCHEMA = {
        """
        CREATE TABLE IF NOT EXISTS snapshots (
          id         INTEGER PRIMARY KEY AUTOINCREMENT,
          name       TEXT    NOT NULL UNIQUE,
          parent_id  INTEGER REFERENCES snapshots(id),
          kind       INTEGER NOT NULL,
          namespace  TEXT    NOT NULL,
          created_ns INTEGER NOT NULL,
          updated_ns INTEGER NOT NULL,
          size       INTEGER NOT NULL DEFAULT 0,
          inodes     INTEGER NOT NULL DEFAULT 0)""",
        "CREATE INDEX IF NOT EXISTS snapshots_parent ON snapshots(parent_id)",
        """
        CREATE TABLE IF NOT EXISTS labels (
          snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
          key         TEXT    NOT NULL,
          value       TEXT    NOT NULL,
          PRIMARY KEY (snapshot_id, key)) WITHOUT ROWID""",
        """
        CREATE TABLE IF NOT EXISTS remote_layers (
          snapshot_id  INTEGER PRIMARY KEY REFERENCES snapshots(id) ON DELETE CASCADE,
          image_ref    TEXT    NOT NULL,
          layer_digest TEXT    NOT NULL,
          toc_digest   TEXT    NOT NULL,
          mount_point  TEXT    NOT NULL,
          state        TEXT    NOT NULL,
          reason       TEXT    NOT NULL,
          updated_ns   INTEGER NOT NULL)""",
    };

    private final Path file;
    private final Runnable beforeWrite;
    private final Connection connection;
    private final StoreTransaction tx;
    private final ReentrantLock lock = new ReentrantLock();

    private SnapshotStore(Path file, Runnable beforeWrite, Connection connection) {
        this.file = file;
        this.beforeWrite = beforeWrite;
        this.connection = connection;
        this.tx = new StoreTransaction(connection);
    }

    /** Opens (creating if needed) the database at {@code file}. */
    public static SnapshotStore open(Path file) throws IOException {
        return open(file, () -> { });
    }

    /**
     * Opens the database at {@code file} as {@link #open(Path)} does, running {@code beforeWrite} before each write
     * transaction: on a full disk SQLite fails with SQLITE_FULL (a write needs room for its WAL frames), so whoever
     * holds disk space that can be given back (the chunk cache) gives it back first.
     */
    public static SnapshotStore open(Path file, Runnable beforeWrite) throws IOException {
        SQLiteConfig config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
        config.enforceForeignKeys(true);
        config.setBusyTimeout(10_000);
        try {
            Connection c = DriverManager.getConnection("jdbc:sqlite:" + file, config.toProperties());
            try (Statement st = c.createStatement()) {
                int version = st.executeQuery("PRAGMA user_version").getInt(1);
                if (version > SCHEMA_VERSION) {
                    c.close();
                    throw new IOException("metadata database " + file + " has schema version " + version
                            + ", newer than this jstargz understands (" + SCHEMA_VERSION + ")");
                }
                st.execute("BEGIN IMMEDIATE");
                for (String ddl : SCHEMA) {
                    st.execute(ddl);
                }
                st.execute("PRAGMA user_version = " + SCHEMA_VERSION);
                st.execute("COMMIT");
            }
            return new SnapshotStore(file, beforeWrite, c);
        } catch (SQLException e) {
            throw new IOException("cannot open metadata database " + file + ": " + e.getMessage(), e);
        }
    }

    /** Runs read-only work; it sees one consistent state. */
    public <T> T read(Work<T> work) throws SnapshotException, IOException {
        return inTransaction("BEGIN", work);
    }

    /** Runs work that changes state as one transaction: all of it is stored, or (on any exception) none. */
    public <T> T write(Work<T> work) throws SnapshotException, IOException {
        beforeWrite.run();
        return inTransaction("BEGIN IMMEDIATE", work);
    }

    private <T> T inTransaction(String begin, Work<T> work) throws SnapshotException, IOException {
        lock.lock();
        try (Statement st = connection.createStatement()) {
            st.execute(begin);
            try {
                T result = work.run(tx);
                st.execute("COMMIT");
                return result;
            } catch (Throwable t) {
                rollback(st, t);
                throw t;
            }
        } catch (SQLException e) {
            throw new IOException("metadata database " + file + ": " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    private static void rollback(Statement st, Throwable cause) {
        try {
            st.execute("ROLLBACK");
        } catch (SQLException e) {
            // a failed COMMIT may already have ended the transaction
            if (!String.valueOf(e.getMessage()).contains("no transaction is active")) {
                cause.addSuppressed(e);
            }
        }
    }

    @Override
    public void close() throws IOException {
        lock.lock();
        try {
            connection.close();
        } catch (SQLException e) {
            throw new IOException("closing metadata database " + file + ": " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }
}
