package io.jstargz.estargz;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * The reference's entry order ({@code sortEntries}/{@code moveRec}): each prioritized file, preceded by its parent
 * directories and (for a hardlink) its target, in the order given; then the landmark; then everything else in tar
 * order. A prioritized path is skipped (and reported) when it, or its hardlink target, has no entry. Unlike the
 * reference, a parent directory without an entry of its own (layers that leave out unchanged parents, as umoci
 * writes them) does not stop the file from being prioritized: readers create such parents implicitly.
 */
final class EntryOrder {
    private static final int MAX_DEPTH = 4096;

    private final LinkedHashMap<String, SpooledTar.Item> in;
    private final LinkedHashMap<String, SpooledTar.Item> out = new LinkedHashMap<>();

    /** The ordered entries, and the prioritized paths that could not be found. */
    record Result(List<SpooledTar.Item> entries, List<String> missed) {
    }

    private EntryOrder(LinkedHashMap<String, SpooledTar.Item> in) {
        this.in = in;
    }

    /** Orders {@code items}, which is consumed. */
    static Result order(LinkedHashMap<String, SpooledTar.Item> items, List<String> prioritized)
            throws InvalidLayerTarException {
        EntryOrder o = new EntryOrder(items);
        List<String> missed = new ArrayList<>();
        for (String p : prioritized) {
            // prioritized paths are given as text; tar names are bytes, held one char per byte
            String raw = new String(p.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
            if (!o.moveRec(raw, 0, true)) {
                missed.add(p);
            }
        }
        String landmark = prioritized.isEmpty() ? Landmarks.NO_PREFETCH : Landmarks.PREFETCH;
        o.out.put(landmark, new SpooledTar.Item(TarHeader.regular(landmark, SpooledTar.LANDMARK_CONTENTS.length),
                landmark, -1, SpooledTar.LANDMARK_CONTENTS));
        List<SpooledTar.Item> all = new ArrayList<>(o.out.values());
        all.addAll(o.in.values());
        return new Result(all, missed);
    }

    /**
     * Moves {@code name}, its parents and hardlink target to the output; false if {@code name} is missing although
     * {@code required}, or its hardlink target is missing. Parents are not required: a missing one is implicit.
     */
    private boolean moveRec(String name, int depth, boolean required) throws InvalidLayerTarException {
        if (depth > MAX_DEPTH) {
            throw new InvalidLayerTarException("prioritizing " + GoStrings.decode(
                    name.getBytes(StandardCharsets.ISO_8859_1)) + " needs more than " + MAX_DEPTH
                    + " parent directories and hardlink targets (a hardlink cycle?)");
        }
        name = GoPaths.cleanEntryName(name);
        if (name.isEmpty()) {
            SpooledTar.Item root = in.remove(name);
            if (root != null) {
                out.put(name, root);
            }
            return true;
        }
        boolean present = in.containsKey(name) || out.containsKey(name);
        if (!present && required) {
            return false;
        }
        if (!moveRec(GoPaths.split(name)[0], depth + 1, false)) {
            return false;
        }
        SpooledTar.Item e = in.get(name);
        if (e != null && e.header().typeflag == TarHeader.TYPE_LINK
                && !moveRec(new String(e.header().linkname, StandardCharsets.ISO_8859_1), depth + 1, true)) {
            return false;
        }
        e = in.remove(name);
        if (e != null) {
            out.put(name, e);
        }
        return true;
    }
}
