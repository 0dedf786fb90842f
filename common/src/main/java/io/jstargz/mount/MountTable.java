package io.jstargz.mount;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/** The mounts this process sees, from {@code /proc/self/mountinfo}. */
public final class MountTable {
    private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

    /**
     * One mount.
     *
     * @param mountPoint where it is mounted
     * @param fsType     filesystem type, e.g. {@code fuse.jstargz} or {@code overlay}
     * @param source     the mount's source ({@code fsname} for FUSE)
     * @param device     {@code major:minor} of the mount's device
     */
    public record Mount(Path mountPoint, String fsType, String source, String device) {
    }

    private MountTable() {
    }

    /** Every mount, in mount order. */
    public static List<Mount> all() throws IOException {
        List<String> lines = Files.readAllLines(MOUNTINFO);
        List<Mount> out = new ArrayList<>(lines.size());
        for (String line : lines) {
            // id parent major:minor root mountpoint options [optional fields] - fstype source superoptions
            String[] f = line.split(" ");
            int dash = indexOf(f, "-");
            if (f.length < 5 || dash < 0 || dash + 2 >= f.length) {
                continue;
            }
            out.add(new Mount(Path.of(unescape(f[4])), unescape(f[dash + 1]), unescape(f[dash + 2]), f[2]));
        }
        return out;
    }

    /** The topmost mount exactly at {@code dir}, if any. */
    public static Optional<Mount> at(Path dir) throws IOException {
        Path want = dir.toAbsolutePath().normalize();
        Mount found = null;
        for (Mount m : all()) {
            if (m.mountPoint().equals(want)) {
                found = m;
            }
        }
        return Optional.ofNullable(found);
    }

    /** Every mount point at or below {@code dir}, deepest first (the order to unmount them in). */
    public static List<Path> mountPointsUnder(Path dir) throws IOException {
        Path base = dir.toAbsolutePath().normalize();
        List<Path> out = new ArrayList<>();
        for (Mount m : all()) {
            if (m.mountPoint().startsWith(base) && !out.contains(m.mountPoint())) {
                out.add(m.mountPoint());
            }
        }
        out.sort(Comparator.comparingInt(Path::getNameCount).reversed());
        return out;
    }

    private static int indexOf(String[] fields, String value) {
        for (int i = 6; i < fields.length; i++) {
            if (fields[i].equals(value)) {
                return i;
            }
        }
        return -1;
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
