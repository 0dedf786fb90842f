package io.jstargz.estargz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The index a reader builds: tree, hardlinks, inodes, chunk tables, overlay view, random reads. */
class LayerIndexTest {
    private static LayerIndex index;
    private static LayerReader reader;
    private static byte[] bigBin;

    @BeforeAll
    static void open() throws Exception {
        byte[] blob = Files.readAllBytes(TestData.vector("small1-chunk64k-prio.esgz"));
        index = EstargzReader.open(new TestData.CountingSource(blob), OpenOptions.defaults("prio"));
        reader = new LayerReader(new TestData.CountingSource(blob), index);
        try (InputStream in = Files.newInputStream(TestData.vector("small1.tar"))) {
            TarReader tar = new TarReader(in);
            for (TarHeader h = tar.next(); h != null; h = tar.next()) {
                if (h.rawName().equals("usr/lib/big.bin")) {
                    bigBin = new byte[(int) h.size];
                    for (int done = 0; done < bigBin.length; ) {
                        done += tar.read(bigBin, done, bigBin.length - done);
                    }
                }
            }
        }
    }

    @Test
    void hardlinksShareTheTargetsInodeAndCountLinks() {
        Entry big = index.lookup("usr/lib/big.bin").orElseThrow();
        Entry link = index.lookup("/usr/lib/big-link.bin").orElseThrow();
        assertEquals(big, link, "views of one inode are equal");
        assertEquals(big.inode(), link.inode());
        assertEquals(2, big.numLink());
        assertEquals(big, index.entry(big.inode()));
        assertEquals("usr/lib/big.bin", link.path());
    }

    @Test
    void inodesAreDenseStableAndTheRootIsOne() {
        assertEquals(1, index.root().inode());
        Set<Long> inodes = new HashSet<>();
        index.walk((path, e) -> {
            assertEquals(e, index.entry(e.inode()));
            inodes.add(e.inode());
        });
        assertEquals(index.entryCount() - 1, inodes.size(), "every inode but the root is reachable by a path");
        assertNull(index.entry(0));
        assertNull(index.entry(index.entryCount() + 1));
        assertEquals(5, index.lookup("usr").orElseThrow().numLink(), "2 + three subdirectories");
        assertEquals(0755, index.lookup("deep").orElseThrow().mode(), "implicit directories are 0755");
    }

    @Test
    void chunkTableBinarySearchAndRandomReadsAcrossChunks() throws Exception {
        Entry big = index.lookup("usr/lib/big.bin").orElseThrow();
        List<Chunk> chunks = big.chunks();
        assertEquals(5, chunks.size());
        assertEquals(0, big.chunkIndexAt(0));
        assertEquals(0, big.chunkIndexAt(65535));
        assertEquals(1, big.chunkIndexAt(65536));
        assertEquals(4, big.chunkIndexAt(big.size() - 1));
        assertEquals(-1, big.chunkIndexAt(big.size()));
        assertEquals(chunks.get(1).blobOffset(), chunks.get(0).blobEnd(), "a chunk's span ends where the next begins");
        assertEquals(index.lookup("usr/lib/exact.bin").orElseThrow().chunks().get(0).blobOffset(),
                chunks.get(4).blobEnd(), "the last chunk's span ends at the next file's member");
        assertEquals(index.tocOffset(), index.lookup("many/f19").orElseThrow().chunks().get(0).blobEnd(),
                "the last member ends where the TOC begins");

        assertArrayEquals(java.util.Arrays.copyOfRange(bigBin, 65000, 200_000), reader.read(big, 65000, 135_000));
        assertArrayEquals(java.util.Arrays.copyOfRange(bigBin, 299_990, 300_001), reader.read(big, 299_990, 100));
        assertEquals(0, reader.read(big, 300_001, 10).length);
    }

    @Test
    void chunksAreNumberedInBlobOrderFileByFileAndSpanBySpan() {
        ChunkTable t = index.chunks();
        index.walk((path, e) -> {
            for (int i = 0; i < e.chunkCount(); i++) {
                int g = e.firstChunk() + i;
                assertEquals(e.inode(), t.file(g), path);
                assertEquals(e.chunk(i), t.chunk(g), path);
                assertEquals(t.spanStart(t.spanOf(g)), e.chunk(i).blobOffset());
            }
        });
        long bytes = 0;
        for (int s = 0; s < t.spanCount(); s++) {
            assertEquals(s, t.spanOf(t.spanFirstChunk(s)));
            assertTrue(t.spanChunkCount(s) >= 1);
            if (s + 1 < t.spanCount()) {
                assertTrue(t.spanEnd(s) <= t.spanStart(s + 1), "the next span in the blob is the next number");
            }
            assertEquals(s, t.firstSpanAtOrAfter(t.spanStart(s)));
            bytes += t.spanLength(s);
        }
        assertEquals(bytes, t.spanBytes());
        Entry big = index.lookup("usr/lib/big.bin").orElseThrow();
        int first = t.spanOf(big.firstChunk());
        assertEquals(first + 4, t.spanOf(big.firstChunk() + 4), "big.bin's five chunks lie in five spans in a row");
        assertEquals(big.size(), t.fileEnd(big.firstChunk() + 4));
    }

    @Test
    void entriesKnowTheirParent() {
        Entry big = index.lookup("usr/lib/big.bin").orElseThrow();
        assertEquals(index.lookup("usr/lib").orElseThrow(), big.parent());
        assertEquals(index.root(), index.lookup("usr").orElseThrow().parent());
        assertNull(index.root().parent());
    }

    @Test
    void overlayViewHidesMarkersAndShowsWhiteouts() {
        Entry root = index.root();
        assertTrue(root.children().stream().anyMatch(d -> d.name().equals(Landmarks.PREFETCH)));
        assertFalse(index.overlayChildren(root).stream().anyMatch(d -> d.name().equals(Landmarks.PREFETCH)));
        assertNull(index.overlayLookup(root, Landmarks.PREFETCH));

        Entry gone = index.lookup("gone").orElseThrow();
        List<DirEntry> goneChildren = index.overlayChildren(gone);
        assertEquals(1, goneChildren.size());
        assertEquals("removed", goneChildren.get(0).name());
        assertTrue(goneChildren.get(0).whiteout());
        assertTrue(index.overlayLookup(gone, "removed").whiteout());
        assertNull(index.overlayLookup(gone, ".wh.removed"));

        Entry opaque = index.lookup("opaque").orElseThrow();
        assertTrue(opaque.isOpaque());
        assertFalse(gone.isOpaque());
        assertEquals(List.of("kept"), index.overlayChildren(opaque).stream().map(DirEntry::name).toList());
    }

    @Test
    void symlinksResolveInsideTheLayer() throws Exception {
        assertEquals("usr/lib/big.bin", index.resolve("usr/bin/rel").path());
        assertEquals("bin/app", index.resolve("/usr/bin/sh").path());
        assertEquals("bin/app", index.resolve("../../bin/app").path(), ".. stops at the layer root");
    }

    @Test
    void attributesAndCounts() {
        Entry ping = index.lookup("usr/bin/ping").orElseThrow();
        assertArrayEquals("hi".getBytes(), ping.xattr("user.comment"));
        assertEquals(List.of("security.capability", "user.comment"), List.copyOf(ping.xattrNames()));
        Entry dev = index.lookup("dev/null").orElseThrow();
        assertEquals(EntryType.CHAR, dev.type());
        assertEquals(0020666, dev.unixMode());
        assertEquals(1, dev.devMajor());
        assertEquals(3, dev.devMinor());
        assertEquals(1700000001L, ping.modTimeSeconds());
        assertEquals("app", index.lookup("usr/lib/big.bin").orElseThrow().userName());
        assertEquals(1, index.countByType().get(EntryType.FIFO));
        assertEquals(2, index.countByType().get(EntryType.SYMLINK));
    }
}
