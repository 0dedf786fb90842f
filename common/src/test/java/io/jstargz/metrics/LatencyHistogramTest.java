package io.jstargz.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class LatencyHistogramTest {

    @Test
    void observationsLandInTheFirstBucketWhoseBoundHoldsThem() {
        LatencyHistogram h = new LatencyHistogram();
        h.recordNanos(100_000);      // exactly the first bound
        h.recordNanos(100_001);      // just above it
        h.recordNanos(2_000_000_000L);
        h.recordNanos(3_600_000_000_000L); // an hour: slower than every bound
        h.recordNanos(-5);           // a clock that went back counts as 0
        long[] expected = new long[LatencyHistogram.BOUNDS_SECONDS.length + 1];
        expected[0] = 2;
        expected[1] = 1;
        expected[13] = 1; // 2.5 s
        expected[expected.length - 1] = 1;
        LatencyHistogram.Snapshot s = h.snapshot();
        assertArrayEquals(expected, s.counts());
        assertEquals(5, s.count());
        assertEquals(100_000 + 100_001 + 2_000_000_000L + 3_600_000_000_000L, s.nanos());
    }

    @Test
    void addedSnapshotsSumBucketByBucket() {
        LatencyHistogram a = new LatencyHistogram();
        a.recordNanos(1_000_000);
        LatencyHistogram b = new LatencyHistogram();
        b.add(a.snapshot());
        b.add(a.snapshot());
        assertEquals(2, b.snapshot().count());
        assertEquals(2, b.snapshot().counts()[3]);
        assertEquals(0.002, b.snapshot().seconds(), 1e-12);
    }

    @Test
    void aSnapshotWithTheWrongNumberOfBucketsIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new LatencyHistogram.Snapshot(new long[3], 0));
    }
}
