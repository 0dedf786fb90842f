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
        if (isClean(path)) {
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

    /** Whether {@link #clean} would return {@code path} unchanged: no empty, {@code .} or {@code ..} element. */
    private static boolean isClean(String path) {
        int n = path.length();
        if (path.equals("/")) {
            return true;
        }
        if (path.charAt(n - 1) == '/') {
            return false;
        }
        int start = path.charAt(0) == '/' ? 1 : 0;
        while (start <= n) {
            int end = path.indexOf('/', start);
            if (end < 0) {
                end = n;
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

    /** Parent of a cleaned entry name ({@code ""} for top-level names). */
    static String parent(String cleanName) {
        int i = cleanName.lastIndexOf('/');
        return i < 0 ? "" : cleanName.substring(0, i);
    }

    /** Base name of a cleaned entry name. */
    static String base(String cleanName) {
        return cleanName.substring(cleanName.lastIndexOf('/') + 1);
    }

    /**
     * Why a raw tar/TOC name is unsafe to use as a path below the layer root, or null if it is fine. Names may start
     * with {@code ./}; they may not be absolute, contain a {@code ..} component or a NUL.
     */
    static String unsafeNameProblem(String name) {
        if (name.indexOf('\0') >= 0) {
            return "contains a NUL character";
        }
        if (name.startsWith("/")) {
            return "is an absolute path";
        }
        for (String part : name.split("/", -1)) {
            if (part.equals("..")) {
                return "contains a \"..\" component";
            }
        }
        return null;
    }
}
