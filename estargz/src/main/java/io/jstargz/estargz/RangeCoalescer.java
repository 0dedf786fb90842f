package io.jstargz.estargz;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * Merges byte ranges that overlap, touch or lie within a small gap of each other, to read them together, and hands
 * each range its bytes out of the merged reads: the one place ranges are coalesced, for a registry blob (in as few
 * requests as the gap allows) as for a local file.
 */
public final class RangeCoalescer {

    /** No merged range grows beyond this, so one range always fits in memory comfortably. */
    public static final long MAX_MERGED_LENGTH = 64L << 20;

    private RangeCoalescer() {
    }

    /** The merged ranges, sorted and disjoint; every input range lies within exactly one of them. */
    public static List<ByteRange> coalesce(Collection<ByteRange> ranges, long gap) {
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

    /**
     * The bytes of each of {@code asked}, in order, out of {@code read}: the bytes of each of {@code merged} (what
     * {@link #coalesce} made of them). A range that is a whole merged range gets that array as it is, not a copy;
     * an empty range gets an empty array.
     */
    public static List<byte[]> split(List<ByteRange> asked, List<ByteRange> merged, List<byte[]> read) {
        List<byte[]> out = new ArrayList<>(asked.size());
        for (ByteRange r : asked) {
            if (r.length() == 0) {
                out.add(new byte[0]);
                continue;
            }
            int m = containing(merged, r);
            ByteRange container = merged.get(m);
            byte[] bytes = read.get(m);
            if (container.equals(r)) {
                out.add(bytes);
            } else {
                int from = (int) (r.offset() - container.offset());
                out.add(Arrays.copyOfRange(bytes, from, from + (int) r.length()));
            }
        }
        return out;
    }

    private static int containing(List<ByteRange> merged, ByteRange r) {
        int lo = 0;
        int hi = merged.size() - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (merged.get(mid).offset() <= r.offset()) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }
}
