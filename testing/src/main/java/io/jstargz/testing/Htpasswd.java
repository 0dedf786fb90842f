package io.jstargz.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** htpasswd lines with bcrypt hashes (the only kind docker-registry accepts), made by apache2-utils' htpasswd. */
final class Htpasswd {

    static final Path BINARY = Path.of("/usr/bin/htpasswd");

    private Htpasswd() {
    }

    static String bcryptLine(String user, String password) throws IOException {
        if (!Files.isExecutable(BINARY)) {
            throw new IllegalStateException(BINARY + " is missing: install the Debian package apache2-utils"
                    + " (scripts/setup.sh does)");
        }
        Process p = new ProcessBuilder(BINARY.toString(), "-Bbn", user, password).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IOException("htpasswd failed for user " + user + ": " + out.strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running htpasswd", e);
        }
        return out.strip() + "\n";
    }
}
