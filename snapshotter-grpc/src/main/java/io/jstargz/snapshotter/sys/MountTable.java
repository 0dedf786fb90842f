package io.jstargz.snapshotter.sys;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** The mount points this process sees, from {@code /proc/self/mountinfo}. */
public final class MountTable {
    private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

    private MountTable() {
    }

    /** Every mount point at or below {@code dir}, deepest first (the order to unmount them in). */
    public static List<Path> mountPointsUnder(Path dir) {
        Path base = dir.toAbsolutePath().normalize();
        List<Path> out = new ArrayList<>();
        for (Path mp : all()) {
            if (mp.startsWith(base)) {
                out.add(mp);
            }
        }
        out.sort(Comparator.comparingInt(Path::getNameCount).reversed());
        return out;
    }

    /** Whether something is mounted exactly at {@code dir}. */
    public static boolean isMountPoint(Path dir) {
        return all().contains(dir.toAbsolutePath().normalize());
    }

    private static List<Path> all() {
        List<String> lines;
        try {
            lines = Files.readAllLines(MOUNTINFO);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + MOUNTINFO, e);
        }
        List<Path> out = new ArrayList<>(lines.size());
        for (String line : lines) {
            // fields: id parent major:minor root mountpoint options ...
            String[] f = line.split(" ", 6);
            if (f.length >= 5) {
                out.add(Path.of(unescape(f[4])));
            }
        }
        return out;
    }

    /** mountinfo writes space, tab, newline and backslash as 3-digit octal escapes. */
    static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && isOctal(s, i + 1) && isOctal(s, i + 2) && isOctal(s, i + 3)) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static boolean isOctal(String s, int i) {
        return i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '7';
    }
}
