package io.jstargz.remote;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/** Merges byte ranges that overlap, touch or lie within a small gap of each other, to fetch them together. */
final class RangeCoalescer {

    /** No merged range grows beyond this, so one range always fits in memory comfortably. */
    static final long MAX_MERGED_LENGTH = 64L << 20;

    private RangeCoalescer() {
    }

    /** The merged ranges, sorted and disjoint; every input range lies within exactly one of them. */
    static List<ByteRange> coalesce(Collection<ByteRange> ranges, long gap) {
        List<ByteRange> sorted = new ArrayList<>(ranges);
        sorted.sort(Comparator.comparingLong(ByteRange::offset).thenComparingLong(ByteRange::end));
        List<ByteRange> merged = new ArrayList<>();
        ByteRange current = null;
        for (ByteRange r : sorted) {
            if (current == null) {
                current = r;
                continue;
            }
            long end = Math.max(current.end(), r.end());
            boolean near = r.offset() <= current.end() + gap;
            boolean overlaps = r.offset() < current.end();
            if (near && (overlaps || end - current.offset() <= MAX_MERGED_LENGTH)) {
                current = new ByteRange(current.offset(), end - current.offset());
            } else {
                merged.add(current);
                current = r;
            }
        }
        if (current != null) {
            merged.add(current);
        }
        return merged;
    }
}
