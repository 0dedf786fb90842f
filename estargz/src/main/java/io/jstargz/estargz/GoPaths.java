package io.jstargz.estargz;

import java.util.ArrayList;
import java.util.List;

/** Go's {@code path} package (Clean, Split, Join) and the reference's {@code cleanEntryName}, on strings. */
final class GoPaths {

    private GoPaths() {
    }

    /** Go's {@code path.Clean}: purely lexical. */
    static String clean(String path) {
        if (path.isEmpty()) {
            return ".";
        }
        if (isClean(path, 0, path.length())) {
            return path; // most TOC names are: no need to split and join them
        }
        boolean rooted = path.charAt(0) == '/';
        List<String> out = new ArrayList<>();
        int dotdots = 0;
        for (String part : path.split("/", -1)) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                if (out.size() > dotdots) {
                    out.remove(out.size() - 1);
                } else if (!rooted) {
                    out.add("..");
                    dotdots++;
                }
                continue;
            }
            out.add(part);
        }
        String joined = String.join("/", out);
        if (rooted) {
            return "/" + joined;
        }
        return joined.isEmpty() ? "." : joined;
    }

    /**
     * Whether {@link #clean} would return {@code path[from, to)} unchanged: no empty, {@code .} or {@code ..}
     * element.
     */
    private static boolean isClean(CharSequence path, int from, int to) {
        if (to - from == 1 && path.charAt(from) == '/') {
            return true;
        }
        if (path.charAt(to - 1) == '/') {
            return false;
        }
        int start = path.charAt(from) == '/' ? from + 1 : from;
        while (start <= to) {
            int end = start;
            while (end < to && path.charAt(end) != '/') {
                end++;
            }
            int len = end - start;
            if (len == 0 || path.charAt(start) == '.' && (len == 1 || len == 2 && path.charAt(start + 1) == '.')) {
                return false;
            }
            start = end + 1;
        }
        return true;
    }

    /** The reference's {@code cleanEntryName}: the path relative to the root, without {@code ./} or {@code /}. */
    static String cleanEntryName(String name) {
        return clean("/" + name).substring(1);
    }

    /** Go's {@code path.Split}: {@code [dir-with-trailing-slash, file]}. */
    static String[] split(String path) {
        int i = path.lastIndexOf('/');
        return new String[] {path.substring(0, i + 1), path.substring(i + 1)};
    }

    /** Go's {@code path.Join}. */
    static String join(String... elems) {
        StringBuilder sb = new StringBuilder();
        for (String e : elems) {
            if (!e.isEmpty()) {
                if (sb.length() > 0) {
                    sb.append('/');
                }
                sb.append(e);
            }
        }
        return sb.length() == 0 ? "" : clean(sb.toString());
    }

    /**
     * Appends the reference's {@code cleanEntryName} of {@code name} to {@code out} in UTF-8; without making a string
     * for the usual names ({@code usr/lib/x}, {@code ./usr/lib/}), which only need their {@code ./} prefix and
     * trailing slash dropped.
     */
    static void cleanEntryName(CharSequence name, ByteBuf out) {
        int from = 0;
        int to = name.length();
        while (to - from >= 2 && name.charAt(from) == '.' && name.charAt(from + 1) == '/') {
            from += 2;
        }
        if (to > from && name.charAt(to - 1) == '/') {
            to--;
        }
        if (from == to) {
            return;
        }
        if (name.charAt(from) != '/' && isClean(name, from, to)) {
            out.utf8(name, from, to);
        } else {
            String clean = cleanEntryName(name.toString());
            out.utf8(clean, 0, clean.length());
        }
    }

    /**
     * Why a raw tar/TOC name is unsafe to use as a path below the layer root, or null if it is fine. Names may start
     * with {@code ./}; they may not be absolute, contain a {@code ..} component or a NUL.
     */
    static String unsafeNameProblem(CharSequence name) {
        int n = name.length();
        for (int i = 0; i < n; i++) {
            if (name.charAt(i) == '\0') {
                return "contains a NUL character";
            }
        }
        if (n > 0 && name.charAt(0) == '/') {
            return "is an absolute path";
        }
        for (int start = 0; start <= n; ) {
            int end = start;
            while (end < n && name.charAt(end) != '/') {
                end++;
            }
            if (end - start == 2 && name.charAt(start) == '.' && name.charAt(start + 1) == '.') {
                return "contains a \"..\" component";
            }
            start = end + 1;
        }
        return null;
    }
}
