package io.jstargz.remote;

import io.jstargz.estargz.ByteRange;

/**
 * A {@code Content-Range} header: {@code bytes first-last/total} ({@code total} is -1 for {@code *}) or
 * {@code bytes *}{@code /total} (an unsatisfiable range; {@code first} and {@code last} are -1).
 */
record ContentRange(long first, long last, long total) {

    /** The header parsed, or {@code null} when it is absent or malformed. */
    static ContentRange parse(String header) {
        if (header == null) {
            return null;
        }
        String h = header.trim();
        if (!h.startsWith("bytes ")) {
            return null;
        }
        h = h.substring(6).trim();
        int slash = h.indexOf('/');
        if (slash < 0) {
            return null;
        }
        try {
            String totalPart = h.substring(slash + 1).trim();
            long total = totalPart.equals("*") ? -1 : Long.parseLong(totalPart);
            String span = h.substring(0, slash).trim();
            if (span.equals("*")) {
                return new ContentRange(-1, -1, total);
            }
            int dash = span.indexOf('-');
            long first = Long.parseLong(span.substring(0, dash));
            long last = Long.parseLong(span.substring(dash + 1));
            if (first < 0 || last < first || (total >= 0 && last >= total)) {
                return null;
            }
            return new ContentRange(first, last, total);
        } catch (NumberFormatException | IndexOutOfBoundsException e) {
            return null;
        }
    }

    /** The bytes this header says the body holds. */
    ByteRange range() {
        return new ByteRange(first, last - first + 1);
    }

    @Override
    public String toString() {
        return "bytes " + (first < 0 ? "*" : first + "-" + last) + "/" + (total < 0 ? "*" : total);
    }
}
