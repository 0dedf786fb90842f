package io.jstargz.text;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Byte counts for people: command output and logs, and sizes they write on the command line and in the config. */
public final class Sizes {
    private static final String[] UNITS = {"KiB", "MiB", "GiB", "TiB"};
    /** A count and an optional binary unit: {@code 65536}, {@code 64K}, {@code 4M}, {@code 4MiB}, {@code 1GB}. */
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(?:([KMGT])(?:I?B)?|B)?");

    private Sizes() {
    }

    /** {@code 812 B}, {@code 1.5 KiB}, {@code 12.3 MiB}, {@code 1.0 GiB}. */
    public static String human(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < UNITS.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, UNITS[u]);
    }

    /**
     * Parses a size: a number of bytes, or a number with a binary unit ({@code K}, {@code M}, {@code G}, {@code T},
     * each optionally followed by {@code iB} or {@code B}), in either case: {@code 4M}, {@code 4MiB}, {@code 1g}.
     *
     * @throws IllegalArgumentException if {@code text} is not such a size, or too large for a long
     */
    public static long parse(String text) {
        Matcher m = SIZE.matcher(text.strip().toUpperCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("not a size: \"" + text + "\" (a number of bytes, or with a unit: "
                    + "64K, 4M, 1GiB)");
        }
        int shift = m.group(2) == null ? 0 : 10 * ("KMGT".indexOf(m.group(2).charAt(0)) + 1);
        try {
            long n = Long.parseLong(m.group(1));
            if (n > Long.MAX_VALUE >> shift) {
                throw new NumberFormatException();
            }
            return n << shift;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("size too large: \"" + text + "\"", e);
        }
    }
}
