package io.jstargz.snapshotter.keychain;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jstargz.remote.auth.CredentialStore;
import io.jstargz.remote.auth.Credentials;
import io.jstargz.snapshotter.proto.cri.AuthConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The credentials the kubelet sent with each CRI PullImage, kept per image reference: what lets the registry client
 * read the layers of a private image that the node has no docker config for.
 *
 * <p>Unlike the reference snapshotter's keychain, which holds them in memory, they are also kept in a file only root
 * can read (0600, written whole and renamed into place), so that after a restart the layers not yet fetched can
 * still be read. An entry lives as long as its image needs the registry: it goes once every lazily pulled layer of
 * the image is local or removed ({@link #prune}), and after a TTL at the latest. An entry whose pull is still under
 * way is never pruned for lack of layers (they are being prepared). Nothing here logs or prints a secret.
 */
public final class CriKeychain implements CredentialStore {
    private static final Logger LOG = LoggerFactory.getLogger(CriKeychain.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int FORMAT = 1;
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    /** The file's form of an entry. */
    private record Stored(String reference, String username, String secret, String identityToken,
                          String serverAddress, long recordedMillis) {
    }

    private record StoredFile(int format, List<Stored> entries) {
    }

    private final Path file;
    private final Duration ttl;
    private final Clock clock;
    private final Map<String, PullCredential> entries = new HashMap<>();
    private final Map<String, Integer> pulling = new HashMap<>();
    /** Counts the changes to {@link #entries}: headers built from an older revision are built again. */
    private long revision;

    private CriKeychain(Path file, Duration ttl, Clock clock) {
        this.file = file;
        this.ttl = ttl;
        this.clock = clock;
    }

    /**
     * The keychain kept in {@code file}, with what it holds from before (expired entries dropped). A file that
     * others could read is made private first.
     *
     * @throws IOException if the file exists and cannot be read or parsed (the message never quotes it)
     */
    public static CriKeychain open(Path file, Duration ttl, Clock clock) throws IOException {
        CriKeychain k = new CriKeychain(file, ttl, clock);
        k.load();
        return k;
    }

    /**
     * Records the credentials of a PullImage of {@code image} (as the kubelet sent it) and marks its pull as under
     * way until the returned handle is closed. A pull without credentials leaves what was recorded before.
     *
     * @throws IllegalArgumentException if {@code image} is no valid reference, or {@code auth} cannot be read
     */
    public Pull pulling(String image, AuthConfig auth) {
        String key = PullCredential.key(image);
        Optional<Credentials> credentials = PullCredential.credentials(auth);
        synchronized (this) {
            pulling.merge(key, 1, Integer::sum);
            if (credentials.isPresent()) {
                entries.put(key, new PullCredential(key, credentials.get(), auth.getServerAddress(),
                        clock.instant()));
                revision++;
                saveOrWarn();
                LOG.info("CRI keychain: credentials recorded for {}", key);
            }
        }
        return new Pull(key);
    }

    /** A pull under way; closing it says it ended (answered or failed). */
    public final class Pull implements AutoCloseable {
        private final String key;
        private boolean closed;

        private Pull(String key) {
            this.key = key;
        }

        /** The image's normalized reference. */
        public String reference() {
            return key;
        }

        @Override
        public void close() {
            synchronized (CriKeychain.this) {
                if (!closed) {
                    closed = true;
                    pulling.computeIfPresent(key, (k, n) -> n == 1 ? null : n - 1);
                }
            }
        }
    }

    @Override
    public Credentials credentials(String host, String reference) {
        String key;
        try {
            key = PullCredential.key(reference);
        } catch (IllegalArgumentException e) {
            return null;
        }
        synchronized (this) {
            PullCredential c = entries.get(key);
            if (c == null || expired(c) || !c.servesHost(host)) {
                return null;
            }
            return c.credentials();
        }
    }

    @Override
    public String describe() {
        return "the CRI keychain";
    }

    @Override
    public synchronized Object revision() {
        return revision;
    }

    /** The images it holds credentials for, for tests and logs (never the credentials). */
    public synchronized List<String> references() {
        return List.copyOf(entries.keySet());
    }

    /**
     * Forgets expired entries, and those of images that no longer need the registry and have no pull under way.
     *
     * @param needsRegistry whether a normalized image reference still has a lazily pulled layer that is not local
     */
    public void prune(Predicate<String> needsRegistry) {
        List<String> gone = new ArrayList<>();
        synchronized (this) {
            for (PullCredential c : List.copyOf(entries.values())) {
                boolean done = !pulling.containsKey(c.reference()) && !needsRegistry.test(c.reference());
                if (expired(c) || done) {
                    entries.remove(c.reference());
                    gone.add(c.reference() + (done ? " (its layers are local or removed)" : " (expired)"));
                }
            }
            if (!gone.isEmpty()) {
                revision++;
                saveOrWarn();
            }
        }
        gone.forEach(g -> LOG.info("CRI keychain: credentials forgotten for {}", g));
    }

    private boolean expired(PullCredential c) {
        return !c.recorded().plus(ttl).isAfter(clock.instant());
    }

    private void load() throws IOException {
        StoredFile stored;
        try {
            if (!Files.getPosixFilePermissions(file).equals(OWNER_ONLY)) {
                LOG.warn("CRI keychain: {} was readable by others; made it 0600", file);
                Files.setPosixFilePermissions(file, OWNER_ONLY);
            }
            stored = JSON.readValue(Files.readAllBytes(file), StoredFile.class);
        } catch (NoSuchFileException e) {
            return;
        } catch (JsonProcessingException e) {
            // the parser's message may quote the file, which holds secrets: give the position only
            throw new IOException("cannot parse the CRI keychain " + file + " at line "
                    + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr());
        }
        if (stored.format() != FORMAT || stored.entries() == null) {
            throw new IOException("the CRI keychain " + file + " has format " + stored.format() + ", not " + FORMAT);
        }
        for (Stored s : stored.entries()) {
            Credentials credentials = s.identityToken() != null
                    ? Credentials.identityToken(s.username(), s.identityToken())
                    : Credentials.basic(s.username(), s.secret());
            PullCredential c = new PullCredential(s.reference(), credentials,
                    s.serverAddress() == null ? "" : s.serverAddress(), Instant.ofEpochMilli(s.recordedMillis()));
            if (!expired(c)) {
                entries.put(c.reference(), c);
            }
        }
        LOG.info("CRI keychain: credentials of {} images kept from before the restart", entries.size());
    }

    /** Saves; on failure the entries still serve until a restart, which would not find them. */
    private void saveOrWarn() {
        try {
            save();
        } catch (IOException e) {
            LOG.warn("CRI keychain: cannot save {}, credentials recorded since will not survive a restart: {}", file,
                    e.getMessage());
        }
    }

    /** Writes every entry to a private temporary file, syncs it and renames it over the file. */
    private void save() throws IOException {
        List<Stored> out = new ArrayList<>();
        for (PullCredential c : entries.values()) {
            Credentials k = c.credentials();
            out.add(new Stored(c.reference(), k.username(), k.secret(), k.identityToken(), c.serverAddress(),
                    c.recorded().toEpochMilli()));
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (FileChannel ch = FileChannel.open(tmp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(OWNER_ONLY))) {
            ByteBuffer bytes = ByteBuffer.wrap(JSON.writeValueAsBytes(new StoredFile(FORMAT, out)));
            while (bytes.hasRemaining()) {
                ch.write(bytes);
            }
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
