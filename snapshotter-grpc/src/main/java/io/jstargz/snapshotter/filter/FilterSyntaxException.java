package io.jstargz.snapshotter.filter;

/** A filter string that does not parse; the message shows where, as containerd does. */
public final class FilterSyntaxException extends Exception {
    FilterSyntaxException(String input, int pos, String message) {
        super("filters: parse error: " + locate(input, pos) + ": " + message);
    }

    private static String locate(String input, int pos) {
        if (pos >= input.length()) {
            return "[" + input + "]";
        }
        return "[" + input.substring(0, pos) + " >|" + input.charAt(pos) + "|< " + input.substring(pos + 1) + "]";
    }
}
