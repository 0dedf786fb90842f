package io.jstargz.remote.auth;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Credentials from a docker {@code config.json}, looked up like the docker CLI does: a {@code credHelpers} entry for
 * the registry, else the {@code credsStore} helper, else {@code auths} ({@code auth} = base64 of
 * {@code user:password}, or {@code username}/{@code password}, or {@code identitytoken}). Docker Hub is stored
 * under {@code https://index.docker.io/v1/}. The file is re-read when it changes (its modification time or size),
 * and its {@link #revision} tells the client to build its headers again.
 */
public final class DockerConfigCredentials implements CredentialStore {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DOCKER_HUB = "docker.io";
    private static final String DOCKER_HUB_KEY = "https://index.docker.io/v1/";

    /** The file as a stat sees it: a rewrite changes one or the other. */
    private record Stamp(FileTime modified, long size) {
    }

    private record Loaded(Stamp stamp, JsonNode root) {
    }

    private static final Stamp ABSENT = new Stamp(FileTime.fromMillis(0), -1);

    private final Path file;
    private final List<Path> helperDirs;
    private volatile Loaded loaded;

    /**
     * @param file       the config.json; a missing file means no credentials
     * @param helperDirs where credential helpers are looked up; empty means {@code $PATH}
     */
    public DockerConfigCredentials(Path file, List<Path> helperDirs) {
        this.file = file;
        this.helperDirs = List.copyOf(helperDirs);
    }

    @Override
    public String describe() {
        return "docker config " + file;
    }

    @Override
    public Object revision() throws IOException {
        return stamp();
    }

    private Stamp stamp() throws IOException {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return new Stamp(a.lastModifiedTime(), a.size());
        } catch (NoSuchFileException e) {
            return ABSENT;
        }
    }

    /** The config's credentials for {@code registry}, whatever the image: a docker config knows only hosts. */
    @Override
    public Credentials credentials(String registry, String reference) throws IOException {
        JsonNode root = load();
        if (root == null) {
            return null;
        }
        String serverUrl = registry.equals(DOCKER_HUB) ? DOCKER_HUB_KEY : registry;
        String helper = helperFor(root.path("credHelpers"), registry);
        if (helper == null) {
            helper = root.path("credsStore").asText("");
        }
        if (!helper.isEmpty()) {
            Credentials fromHelper = new CredentialHelper(helper, helperDirs).get(serverUrl);
            if (fromHelper != null) {
                return fromHelper;
            }
        }
        JsonNode auths = root.path("auths");
        for (Iterator<Map.Entry<String, JsonNode>> it = auths.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (sameRegistry(e.getKey(), registry)) {
                return fromAuthEntry(e.getKey(), e.getValue());
            }
        }
        return null;
    }

    private static String helperFor(JsonNode helpers, String registry) {
        for (Iterator<Map.Entry<String, JsonNode>> it = helpers.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (sameRegistry(e.getKey(), registry)) {
                return e.getValue().asText();
            }
        }
        return null;
    }

    private Credentials fromAuthEntry(String key, JsonNode entry) throws IOException {
        String identity = entry.path("identitytoken").asText("");
        String user = entry.path("username").asText("");
        String password = entry.path("password").asText("");
        String auth = entry.path("auth").asText("");
        if (!auth.isEmpty()) {
            String decoded;
            try {
                decoded = new String(Base64.getDecoder().decode(auth.strip()), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw new IOException(file + ": the 'auth' of \"" + key + "\" is not valid base64");
            }
            int colon = decoded.indexOf(':');
            if (colon < 0) {
                throw new IOException(file + ": the 'auth' of \"" + key + "\" does not decode to user:password");
            }
            user = decoded.substring(0, colon);
            password = decoded.substring(colon + 1);
        }
        if (!identity.isEmpty()) {
            return Credentials.identityToken(user, identity);
        }
        if (user.isEmpty() && password.isEmpty()) {
            return null;
        }
        return Credentials.basic(user, password);
    }

    /** docker's {@code ConvertToHostname}: a key may be a URL with scheme and path. */
    static boolean sameRegistry(String key, String registry) {
        String host = key;
        if (host.startsWith("http://")) {
            host = host.substring(7);
        } else if (host.startsWith("https://")) {
            host = host.substring(8);
        }
        int slash = host.indexOf('/');
        if (slash >= 0) {
            host = host.substring(0, slash);
        }
        if (registry.equals(DOCKER_HUB)) {
            return host.equals(DOCKER_HUB) || host.equals("index.docker.io") || host.equals("registry-1.docker.io");
        }
        return host.equals(registry);
    }

    private JsonNode load() throws IOException {
        Stamp stamp = stamp();
        if (stamp == ABSENT) {
            return null;
        }
        Loaded l = loaded;
        if (l != null && l.stamp.equals(stamp)) {
            return l.root;
        }
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            // the parser's message may quote file content, which may be a secret: give the position only
            throw new IOException("cannot parse docker config " + file + " at line " + e.getLocation().getLineNr()
                    + ", column " + e.getLocation().getColumnNr());
        }
        loaded = new Loaded(stamp, root);
        return root;
    }
}
