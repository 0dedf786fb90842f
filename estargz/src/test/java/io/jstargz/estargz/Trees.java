package io.jstargz.estargz;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Describes an extracted directory tree (names, types, permissions, content digests, link targets). */
final class Trees {
    private Trees() {
    }

    static List<String> describe(Path root) throws IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted().toList()) {
                String rel = root.relativize(p).toString();
                String perms = PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
                if (Files.isSymbolicLink(p)) {
                    out.add(rel + " -> " + Files.readSymbolicLink(p));
                } else if (Files.isDirectory(p)) {
                    out.add(rel + "/ " + perms);
                } else if (Files.isRegularFile(p)) {
                    out.add(rel + " " + perms + " " + Digests.of(Files.readAllBytes(p)));
                } else {
                    out.add(rel + " other " + perms);
                }
            }
        }
        return out;
    }
}
