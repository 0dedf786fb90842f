package io.jstargz.snapshotter.model;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** Label rules shared by every operation that stores labels. */
public final class Labels {
    /** containerd's limit on one label's key and value together, in bytes. */
    public static final int MAX_PAIR_BYTES = 4096;

    private Labels() {
    }

    /**
     * The labels as stored: empty values dropped (containerd treats them as absent).
     *
     * @throws SnapshotException INVALID_ARGUMENT when a pair exceeds {@link #MAX_PAIR_BYTES}
     */
    public static Map<String, String> validated(Map<String, String> labels) throws SnapshotException {
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : labels.entrySet()) {
            String k = e.getKey();
            String v = e.getValue() == null ? "" : e.getValue();
            int size = k.getBytes(StandardCharsets.UTF_8).length + v.getBytes(StandardCharsets.UTF_8).length;
            if (size > MAX_PAIR_BYTES) {
                throw SnapshotException.invalidArgument("label " + quote(k) + " key and value are " + size
                        + " bytes, more than the maximum of " + MAX_PAIR_BYTES);
            }
            if (!v.isEmpty()) {
                out.put(k, v);
            }
        }
        return out;
    }

    private static String quote(String key) {
        return "\"" + (key.length() > 64 ? key.substring(0, 64) + "..." : key) + "\"";
    }
}
