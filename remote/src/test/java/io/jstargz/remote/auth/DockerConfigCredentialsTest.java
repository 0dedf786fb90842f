package io.jstargz.remote.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** docker config.json lookups: auths in their several spellings, credential helpers, errors without secrets. */
class DockerConfigCredentialsTest {

    @TempDir
    Path dir;

    private DockerConfigCredentials store(String json) throws IOException {
        Path file = dir.resolve("config.json");
        Files.writeString(file, json);
        return new DockerConfigCredentials(file, List.of(dir));
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void authsEntriesInTheirSeveralForms() throws IOException {
        DockerConfigCredentials store = store("{\"auths\":{"
                + "\"https://index.docker.io/v1/\":{\"auth\":\"" + b64("hubuser:hub:pass") + "\"},"
                + "\"http://reg.example:5000/v2/\":{\"username\":\"u\",\"password\":\"p\"},"
                + "\"oauth.example\":{\"auth\":\"" + b64("x:") + "\",\"identitytoken\":\"refresh\"}}}");
        Credentials hub = store.credentials("docker.io", "docker.io/any/image:1");
        assertEquals("hubuser", hub.username());
        assertEquals("hub:pass", hub.secret());
        assertEquals(Credentials.basic("u", "p"),
                store.credentials("reg.example:5000", "reg.example:5000/any/image:1"));
        assertTrue(store.credentials("oauth.example", "oauth.example/any/image:1").hasIdentityToken());
        assertNull(store.credentials("reg.example", "reg.example/any/image:1"));
        assertFalse(hub.toString().contains("hub:pass"), hub.toString());
    }

    @Test
    void missingFileMeansAnonymous() throws IOException {
        assertNull(new DockerConfigCredentials(dir.resolve("nope.json"), List.of())
                .credentials("docker.io", "docker.io/library/busybox:latest"));
    }

    @Test
    void credentialHelpersWinOverAuthsAndSpeakTheProtocol() throws IOException {
        Path helper = dir.resolve("docker-credential-fake");
        Files.writeString(helper, """
                #!/bin/sh
                [ "$1" = get ] || exit 3
                read server
                case "$server" in
                  https://index.docker.io/v1/) echo '{"ServerURL":"x","Username":"<token>","Secret":"idtok"}' ;;
                  helped.example) echo '{"ServerURL":"x","Username":"helper-user","Secret":"helper-secret"}' ;;
                  *) echo "credentials not found in native keychain"; exit 1 ;;
                esac
                """);
        Files.setPosixFilePermissions(helper, PosixFilePermissions.fromString("rwxr-xr-x"));
        DockerConfigCredentials store = store("{\"credsStore\":\"fake\",\"credHelpers\":{\"helped.example\":\"fake\"},"
                + "\"auths\":{\"helped.example\":{\"auth\":\"" + b64("file:secret") + "\"},"
                + "\"other.example\":{\"auth\":\"" + b64("o:p") + "\"}}}");
        assertEquals(Credentials.basic("helper-user", "helper-secret"),
                store.credentials("helped.example", "helped.example/any/image:1"));
        Credentials hub = store.credentials("docker.io", "docker.io/any/image:1");
        assertEquals("idtok", hub.identityToken());
        // the store has nothing for it: the auths entry is used
        assertEquals(Credentials.basic("o", "p"), store.credentials("other.example", "other.example/any/image:1"));
    }

    @Test
    void brokenHelpersAndFilesAreClearErrorsWithoutSecrets() throws IOException {
        IOException missing = assertThrows(IOException.class,
                () -> store("{\"credsStore\":\"absent\"}").credentials("x.example", "x.example/a:1"));
        assertTrue(missing.getMessage().contains("docker-credential-absent not found"), missing.getMessage());

        IOException malformed = assertThrows(IOException.class,
                () -> store("{\"auths\":{\"x\":{\"auth\":\"c2VjcmV0LXZhbHVl\" oops}}}").credentials("x", "x/a:1"));
        assertTrue(malformed.getMessage().contains("config.json") && malformed.getMessage().contains("line 1"),
                malformed.getMessage());
        assertFalse(malformed.getMessage().contains("c2VjcmV0LXZhbHVl"), malformed.getMessage());

        IOException badBase64 = assertThrows(IOException.class,
                () -> store("{\"auths\":{\"x\":{\"auth\":\"%%%\"}}}").credentials("x", "x/a:1"));
        assertTrue(badBase64.getMessage().contains("not valid base64"), badBase64.getMessage());
    }
}
