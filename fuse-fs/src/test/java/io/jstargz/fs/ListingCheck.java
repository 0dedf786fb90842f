package io.jstargz.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.jstargz.estargz.Digests;
import io.jstargz.fs.binding.FilesystemOps;
import io.jstargz.fs.binding.FsException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Compares a mounted layer with the reference listing, entry by entry, as overlayfs must see it: type, mode, owner,
 * size, link target, link count, xattrs and content; whiteouts as character devices 0/0, opaque directories with
 * the overlay xattrs, markers and landmarks hidden.
 */
final class ListingCheck {
    private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};
    private static final byte[] OPAQUE = {'y'};

    private ListingCheck() {
    }

    /**
     * Asserts that the tree at {@code root}, served by {@code ops}, is the listing's overlay view; returns the number
     * of paths compared.
     */
    static int assertMatches(Path root, FilesystemOps ops, List<ReferenceListing.Item> listing)
            throws IOException, FsException {
        Map<String, Set<String>> expectedNames = new HashMap<>();
        expectedNames.put("", new TreeSet<>());
        Set<String> opaqueDirs = new TreeSet<>();
        for (ReferenceListing.Item item : listing) {
            if (item.baseName().equals(".wh..wh..opq")) {
                opaqueDirs.add(item.parent());
            }
        }
        Map<String, Long> inodeOfContent = new HashMap<>();
        int compared = 0;
        for (ReferenceListing.Item item : listing) {
            String base = item.baseName();
            Set<String> names = expectedNames.computeIfAbsent(item.parent(), k -> new TreeSet<>());
            if (item.type().equals("dir")) {
                expectedNames.computeIfAbsent(item.name(), k -> new TreeSet<>());
            }
            if (item.parent().isEmpty() && base.endsWith(".prefetch.landmark")) {
                assertFalse(Files.exists(root.resolve(item.name()), NOFOLLOW), item.name() + " is hidden");
                continue;
            }
            if (base.equals(".wh..wh..opq")) {
                assertFalse(Files.exists(root.resolve(item.name()), NOFOLLOW), item.name() + " is hidden");
                continue;
            }
            if (base.startsWith(".wh.")) {
                String hidden = base.substring(4);
                names.add(hidden);
                Path p = root.resolve(item.parent()).resolve(hidden);
                assertEquals(0020000, mode(p) & 0170000, p + " is a character device (whiteout)");
                assertEquals(0L, Files.getAttribute(p, "unix:rdev", NOFOLLOW), p + " is device 0/0");
                assertFalse(Files.exists(root.resolve(item.name()), NOFOLLOW), item.name() + " is hidden");
                compared++;
                continue;
            }
            names.add(base);
            assertEntry(root.resolve(item.name()), item, inodeOfContent, opaqueDirs.contains(item.name()), ops);
            compared++;
        }
        for (Map.Entry<String, Set<String>> dir : expectedNames.entrySet()) {
            Path d = dir.getKey().isEmpty() ? root : root.resolve(dir.getKey());
            try (Stream<Path> s = Files.list(d)) {
                assertEquals(dir.getValue(), new TreeSet<>(s.map(p -> p.getFileName().toString()).toList()),
                        "names in /" + dir.getKey());
            }
            Map<String, byte[]> x = Xattrs.read(d);
            if (opaqueDirs.contains(dir.getKey())) {
                assertArrayEquals(OPAQUE, x.get("trusted.overlay.opaque"), d + " is opaque");
                assertArrayEquals(OPAQUE, x.get("user.overlay.opaque"), d + " is opaque (userxattr)");
            } else {
                assertFalse(x.containsKey("trusted.overlay.opaque"), d + " is not opaque");
            }
        }
        return compared;
    }

    private static void assertEntry(Path p, ReferenceListing.Item item, Map<String, Long> inodeOfContent,
                                    boolean opaque, FilesystemOps ops) throws IOException, FsException {
        Map<String, Object> a = Files.readAttributes(p, "unix:*", NOFOLLOW);
        int mode = (Integer) a.get("mode");
        String what = "/" + item.name();
        assertEquals(typeBits(item.type()), mode & 0170000, what + " type");
        assertEquals(item.mode() & 07777, mode & 07777, what + " mode");
        assertEquals(item.uid(), ((Integer) a.get("uid")).longValue(), what + " uid");
        assertEquals(item.gid(), ((Integer) a.get("gid")).longValue(), what + " gid");
        assertEquals(item.numLink(), a.get("nlink"), what + " link count");
        switch (item.type()) {
            case "reg" -> {
                assertEquals(item.size(), a.get("size"), what + " size");
                assertEquals(item.sha256(), sha256(p), what + " content");
                Long ino = (Long) a.get("ino");
                Long other = inodeOfContent.putIfAbsent(item.sha256() + "/" + item.numLink(), ino);
                if (item.numLink() > 1 && other != null) {
                    assertEquals(other, ino, what + " shares its inode with its hardlinks");
                }
            }
            case "symlink" -> assertEquals(item.linkName(), Files.readSymbolicLink(p).toString(), what + " target");
            case "char", "block" -> assertEquals(makedev(item.devMajor(), item.devMinor()), a.get("rdev"),
                    what + " device");
            default -> {
            }
        }
        Map<String, byte[]> x = Xattrs.read(p);
        Set<String> names = new TreeSet<>(item.xattrs().keySet());
        if (opaque) {
            names.addAll(List.of("trusted.overlay.opaque", "user.overlay.opaque"));
        }
        assertEquals(names, x.keySet(), what + " xattr names");
        for (Map.Entry<String, byte[]> e : item.xattrs().entrySet()) {
            byte[] got = x.get(e.getKey());
            if (got == null) {
                got = ops.getxattr(what, e.getKey()); // the kernel refused it: check what the filesystem holds
            }
            assertArrayEquals(e.getValue(), got, what + " xattr " + e.getKey());
        }
    }

    static String sha256(Path p) throws IOException {
        MessageDigest sha = Digests.sha256();
        try (InputStream in = Files.newInputStream(p)) {
            byte[] buf = new byte[65536];
            for (int n; (n = in.read(buf)) > 0; ) {
                sha.update(buf, 0, n);
            }
        }
        return Digests.hex(sha.digest());
    }

    private static int mode(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:mode", NOFOLLOW);
    }

    private static int typeBits(String type) {
        return switch (type) {
            case "dir" -> 0040000;
            case "reg" -> 0100000;
            case "symlink" -> 0120000;
            case "char" -> 0020000;
            case "block" -> 0060000;
            case "fifo" -> 0010000;
            default -> throw new AssertionError("unknown type " + type);
        };
    }

    /** glibc's {@code makedev}, as {@code unix:rdev} reports it. */
    private static long makedev(long major, long minor) {
        return (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xffL) << 12) | ((major & ~0xfffL) << 32);
    }
}
