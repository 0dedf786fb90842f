package io.jstargz.testing;

import io.jstargz.process.Command;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

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
        return Command.of(BINARY.toString(), "-Bbn", user, password).run(Duration.ofSeconds(30))
                .orThrow().strip() + "\n";
    }
}
