package io.jstargz.cache;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DiskIndexTest {

    private static CacheKey key(int i) {
        return CacheKey.ofBlobOffset("sha256:" + "ab".repeat(32), i);
    }

    private static List<CacheKey> keys(List<DiskIndex.Entry> entries) {
        return entries.stream().map(e -> e.key).toList();
    }

    @Test
    void evictsLeastRecentlyUsedDownToTheLowWaterMark() {
        DiskIndex index = new DiskIndex(1000);
        for (int i = 0; i < 10; i++) {
            index.add(key(i), 100, 0);
        }
        index.touch(key(0));
        DiskIndex.Reservation r = index.reserve(100, 0);
        assertTrue(r.granted());
        // 1100 > 1000 bytes: evict eldest until at most 950 (the low water mark) including the reservation
        assertEquals(List.of(key(1), key(2)), keys(r.victims()));
        assertEquals(800, index.bytes());
        index.commit(key(10), 100, 0);
        assertEquals(900, index.bytes());
        assertTrue(index.contains(key(0)));
        assertFalse(index.contains(key(1)));
    }

    @Test
    void aFilesystemShortOfItsWatermarkEvictsWhatItLacksUnderTheBound() {
        DiskIndex index = new DiskIndex(1000);
        for (int i = 0; i < 5; i++) {
            index.add(key(i), 100, 0);
        }
        // 500 of 1000 bytes used, but the filesystem lacks 150 bytes: the two eldest go
        DiskIndex.Reservation r = index.reserve(100, 150);
        assertTrue(r.granted());
        assertEquals(List.of(key(0), key(1)), keys(r.victims()));
        assertEquals(List.of(key(2)), keys(index.evictOverflow(1)));
        DiskIndex.Entry reading = index.pin(key(3));
        DiskIndex.Entry reading2 = index.pin(key(4));
        DiskIndex.Reservation starved = index.reserve(100, 1);
        assertFalse(starved.granted(), "readers pin all that could be freed");
        index.unpin(reading);
        index.unpin(reading2);
    }

    @Test
    void pinnedEntriesAreNotEvicted() {
        DiskIndex index = new DiskIndex(300);
        index.add(key(0), 100, 0);
        index.add(key(1), 100, 0);
        index.add(key(2), 100, 0);
        DiskIndex.Entry reading = index.pin(key(0));
        index.touch(key(1));
        index.touch(key(2));
        DiskIndex.Reservation r = index.reserve(100, 0); // key 0 is the eldest, but a reader holds it
        assertEquals(List.of(key(1), key(2)), keys(r.victims()));
        assertTrue(index.contains(key(0)));
        index.unpin(reading);
        index.cancel(100);
        assertEquals(List.of(key(0)), keys(index.reserve(300, 0).victims()));
    }

    @Test
    void refusesWhenReadersPinTooMuchOrTheEntryIsLargerThanTheBound() {
        DiskIndex index = new DiskIndex(200);
        index.add(key(0), 150, 0);
        DiskIndex.Entry reading = index.pin(key(0));
        DiskIndex.Reservation blocked = index.reserve(100, 0);
        assertFalse(blocked.granted());
        assertEquals(List.of(), blocked.victims());
        index.unpin(reading);
        DiskIndex.Reservation tooLarge = index.reserve(201, 0);
        assertFalse(tooLarge.granted());
        assertEquals(List.of(), tooLarge.victims());
        assertEquals(150, index.bytes());
    }

    @Test
    void removingAStaleEntryKeepsTheNewerOne() {
        DiskIndex index = new DiskIndex(1000);
        index.add(key(0), 100, 0);
        DiskIndex.Entry old = index.pin(key(0));
        index.unpin(old);
        index.add(key(0), 200, 0);
        index.remove(old);
        assertTrue(index.contains(key(0)));
        assertEquals(200, index.bytes());
        index.remove(index.pin(key(0)));
        assertEquals(0, index.bytes());
        assertEquals(0, index.size());
    }

    @Test
    void theStartScanDoesNotBringBackAnEntryRemovedMeanwhile() {
        DiskIndex index = new DiskIndex(1000);
        index.add(key(0), 100, 0); // adopted by a read while the scan ran; the read found it corrupt
        index.remove(index.touch(key(0)));
        index.addScanned(List.of(new DiskScanner.Found(key(0), 100, 0), new DiskScanner.Found(key(1), 100, 0)));
        assertFalse(index.contains(key(0)), "its file was deleted after the scan listed it");
        assertTrue(index.contains(key(1)));
        assertEquals(100, index.bytes());
        index.remove(index.touch(key(1))); // after the scan, removals need no remembering
        index.add(key(1), 100, 0);
        assertTrue(index.contains(key(1)));
    }
}
