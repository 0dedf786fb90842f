package io.jstargz.remote.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jstargz.process.Command;
import io.jstargz.process.CommandResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a docker credential helper ({@code docker-credential-<name> get}, server URL on stdin, JSON
 * {@code {"Username","Secret"}} on stdout). A {@code <token>} user name means the secret is an identity token.
 */
final class CredentialHelper {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String name;
    private final List<Path> searchDirs;

    /** @param searchDirs where to look for the executable; empty means {@code $PATH} */
    CredentialHelper(String name, List<Path> searchDirs) {
        this.name = name;
        this.searchDirs = searchDirs;
    }

    String executableName() {
        return "docker-credential-" + name;
    }

    /** The credentials the helper has for {@code serverUrl}, or {@code null} when it has none. */
    Credentials get(String serverUrl) throws IOException {
        CommandResult r = Command.of(locate().toString(), "get").withInput(serverUrl).run(TIMEOUT);
        String text = r.output().strip();
        if (!r.ok()) {
            if (text.contains("credentials not found")) {
                return null;
            }
            String firstLine = text.lines().findFirst().orElse("");
            throw new IOException(executableName() + " failed for " + serverUrl + " (exit " + r.exitCode() + "): "
                    + firstLine.substring(0, Math.min(200, firstLine.length())));
        }
        JsonNode node;
        try {
            node = JSON.readTree(text);
        } catch (IOException e) {
            throw new IOException(executableName() + " printed something that is not JSON for " + serverUrl, e);
        }
        String user = node.path("Username").asText("");
        String secret = node.path("Secret").asText("");
        if (secret.isEmpty()) {
            return null;
        }
        return user.equals("<token>") ? Credentials.identityToken(user, secret) : Credentials.basic(user, secret);
    }

    private Path locate() throws IOException {
        List<Path> dirs = new ArrayList<>(searchDirs);
        if (dirs.isEmpty()) {
            String path = System.getenv("PATH");
            for (String d : (path == null ? "/usr/local/bin:/usr/bin:/bin" : path).split(":")) {
                if (!d.isEmpty()) {
                    dirs.add(Path.of(d));
                }
            }
        }
        for (Path d : dirs) {
            Path exe = d.resolve(executableName());
            if (Files.isExecutable(exe)) {
                return exe;
            }
        }
        throw new IOException("credential helper " + executableName() + " not found in " + dirs);
    }
}
