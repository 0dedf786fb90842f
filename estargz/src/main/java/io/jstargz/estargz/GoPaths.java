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
        if (isClean(path.toCharArray(), 0, path.length())) {
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
    private static boolean isClean(char[] path, int from, int to) {
        if (to - from == 1 && path[from] == '/') {
            return true;
        }
        if (path[to - 1] == '/') {
            return false;
        }
        int start = path[from] == '/' ? from + 1 : from;
        while (start <= to) {
            int end = start;
            while (end < to && path[end] != '/') {
                end++;
            }
            int len = end - start;
            if (len == 0 || path[start] == '.' && (len == 1 || len == 2 && path[start + 1] == '.')) {
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
     * Appends the reference's {@code cleanEntryName} of {@code name[0, length)} to {@code out} in UTF-8; without making
     * a string for the usual names ({@code usr/lib/x}, {@code ./usr/lib/}), which only need their {@code ./} prefix
     * and trailing slash dropped.
     */
    static void cleanEntryName(char[] name, int length, ByteBuf out) {
        int from = 0;
        int to = length;
        while (to - from >= 2 && name[from] == '.' && name[from + 1] == '/') {
            from += 2;
        }
        if (to > from && name[to - 1] == '/') {
            to--;
        }
        if (from == to) {
            return;
        }
        if (name[from] != '/' && isClean(name, from, to)) {
            out.utf8(name, from, to);
        } else {
            out.utf8(cleanEntryName(new String(name, 0, length)));
        }
    }

    /**
     * Why a raw tar/TOC name {@code name[0, length)} is unsafe to use as a path below the layer root, or null if it is
     * fine. Names may start with {@code ./}; they may not be absolute, contain a {@code ..} component or a NUL.
     */
    static String unsafeNameProblem(char[] name, int length) {
        String problem = null;
        int start = 0;
        for (int i = 0; i <= length; i++) {
            if (i == length || name[i] == '/') {
                if (i - start == 2 && name[start] == '.' && name[start + 1] == '.' && problem == null) {
                    problem = "contains a \"..\" component";
                }
                start = i + 1;
            } else if (name[i] == '\0') {
                return "contains a NUL character";
            }
        }
        if (length > 0 && name[0] == '/') {
            return "is an absolute path";
        }
        return problem;
    }
}
