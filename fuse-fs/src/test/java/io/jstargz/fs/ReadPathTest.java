package io.jstargz.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jstargz.cache.ChunkCache;
import io.jstargz.cache.ChunkCacheConfig;
import io.jstargz.estargz.Chunk;
import io.jstargz.estargz.FileBlobSource;
import io.jstargz.estargz.ForwardingBlob;
import io.jstargz.estargz.LayerReader;
import io.jstargz.estargz.RemoteBlob;
import io.jstargz.fs.binding.FilesystemOps;
import io.jstargz.fs.binding.ReadTarget;
import io.jstargz.io.FileRanges;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The read path's requests, observed at the blob: coalescing, read-ahead, no span fetched twice. */
class ReadPathTest {
    private static final Path BLOB = ReferenceListing.TESTDATA.resolve(LocalLayerMountTest.PRIO);

    @TempDir
    Path tmp;

    /** Records every range read from a blob. */
    static final class RecordingBlobSource extends ForwardingBlob {
        final List<long[]> ranges = Collections.synchronizedList(new ArrayList<>());

        RecordingBlobSource(RemoteBlob blob) {
            super(blob);
        }

        @Override
        public byte[] read(long offset, int length) throws IOException {
            ranges.add(new long[] {offset, offset + length});
            return super.read(offset, length);
        }
    }

    private static final LayerMountOptions ON_DEMAND = LayerMountOptions.builder().prefetch(false)
            .backgroundFetch(false).build();

    @Test
    void aReadAcrossTwoChunksFetchesBothInOneRequest() throws Exception {
        RecordingBlobSource blob = new RecordingBlobSource(FileBlobSource.open(BLOB));
        try (ChunkCache cache = ChunkCache.open(ChunkCacheConfig.defaults(tmp.resolve("cache")));
             LayerMount m = LayerMount.open(LayerIdentity.ofFile(BLOB), blob, cache, ON_DEMAND)) {
            blob.ranges.clear(); // the index was read at open
            List<Chunk> chunks = m.index().lookup("usr/lib/big.bin").orElseThrow().chunks();
            byte[] got = read(m.filesystem(), "/usr/lib/big.bin", 60_000, 20_000);
            assertEquals(1, blob.ranges.size(), "one request");
            assertArrayEquals(new long[] {chunks.get(0).blobOffset(), chunks.get(1).blobEnd()}, blob.ranges.get(0));
            assertArrayEquals(expected("usr/lib/big.bin", 60_000, 20_000, m), got);
            assertEquals(1, m.progress().requests());
        }
    }

    @Test
    void aSequentialReaderHasTheNextChunksFetchedAheadAndNoSpanIsFetchedTwice() throws Exception {
        RecordingBlobSource blob = new RecordingBlobSource(FileBlobSource.open(BLOB));
        try (ChunkCache cache = ChunkCache.open(ChunkCacheConfig.defaults(tmp.resolve("cache")));
             LayerMount m = LayerMount.open(LayerIdentity.ofFile(BLOB), blob, cache, ON_DEMAND)) {
            blob.ranges.clear();
            List<Chunk> chunks = m.index().lookup("usr/lib/big.bin").orElseThrow().chunks();
            for (long off = 0; off < 300_001; off += 65_536) {
                int len = (int) Math.min(65_536, 300_001 - off);
                assertArrayEquals(expected("usr/lib/big.bin", off, len, m),
                        read(m.filesystem(), "/usr/lib/big.bin", off, len));
            }
            List<long[]> ranges = List.copyOf(blob.ranges);
            assertTrue(ranges.stream().anyMatch(r -> r[0] == chunks.get(1).blobOffset()
                    && r[1] == chunks.get(2).blobEnd()), "chunks 1 and 2 were fetched ahead in one request");
            assertEquals(5, chunks.size());
            for (Chunk c : chunks) {
                long covering = ranges.stream().filter(r -> r[0] <= c.blobOffset() && c.blobEnd() <= r[1]).count();
                assertEquals(1, covering, "the span of chunk at " + c.fileOffset() + " was fetched once");
            }
        }
    }

    @Test
    void chunksOnDiskAreReadInPartFromTheirFilesAndOneDeletedMeanwhileIsFetchedAgain() throws Exception {
        RecordingBlobSource blob = new RecordingBlobSource(FileBlobSource.open(BLOB));
        Path dir = tmp.resolve("cache");
        // no memory tier, and disk writes in the fetching thread: what a read fetched is on disk when it returns
        try (ChunkCache cache = ChunkCache.open(new ChunkCacheConfig(dir, 0, 1 << 30, 2, 0));
             LayerMount m = LayerMount.open(LayerIdentity.ofFile(BLOB), blob, cache, ON_DEMAND)) {
            List<Chunk> chunks = m.index().lookup("usr/lib/big.bin").orElseThrow().chunks();
            for (long off = 0; off < 300_001; off += 65_536) { // every chunk read: none left to fetch ahead
                read(m.filesystem(), "/usr/lib/big.bin", off, (int) Math.min(65_536, 300_001 - off));
            }
            byte[] expected = expected("usr/lib/big.bin", 60_000, 20_000, m);
            blob.ranges.clear();
            long diskHits = cache.stats().diskHits();

            List<String> fromFiles = new ArrayList<>();
            byte[] got = new byte[20_000];
            ReadTarget target = new ReadTarget() {
                @Override
                public void put(int at, byte[] src, int srcOffset, int length) {
                    System.arraycopy(src, srcOffset, got, at, length);
                }

                @Override
                public void put(int at, FileChannel file, long position, int length) throws IOException {
                    fromFiles.add(at + "+" + length);
                    FileRanges.readFully(file, position, ByteBuffer.wrap(got, at, length));
                }
            };
            long h = m.filesystem().open("/usr/lib/big.bin", 0);
            assertEquals(20_000, m.filesystem().read(h, 60_000, 20_000, target));
            assertArrayEquals(expected, got);
            int inFirst = (int) (chunks.get(1).fileOffset() - 60_000);
            assertEquals(List.of("0+" + inFirst, inFirst + "+" + (20_000 - inFirst)), fromFiles,
                    "each chunk's part straight from its file");
            assertEquals(List.of(), blob.ranges, "nothing fetched");
            assertEquals(diskHits + 2, cache.stats().diskHits());
            assertEquals(0, cache.stats().memoryBytes());

            // the second chunk's file goes (as another process sharing the cache may delete it) while the first is
            // read: the read fetches that chunk again rather than fail
            fromFiles.clear();
            Arrays.fill(got, (byte) 0);
            ReadTarget deleting = new ReadTarget() {
                @Override
                public void put(int at, byte[] src, int srcOffset, int length) {
                    target.put(at, src, srcOffset, length);
                }

                @Override
                public void put(int at, FileChannel file, long position, int length) throws IOException {
                    try (Stream<Path> files = Files.walk(dir.resolve("chunks"))) {
                        for (Path f : files.filter(Files::isRegularFile).toList()) {
                            Files.delete(f);
                        }
                    }
                    target.put(at, file, position, length); // its file is open: deleted, it is still read whole
                }
            };
            assertEquals(20_000, m.filesystem().read(h, 60_000, 20_000, deleting));
            m.filesystem().release(h);
            assertArrayEquals(expected, got);
            assertEquals(List.of("0+" + inFirst), fromFiles);
            assertEquals(1, blob.ranges.size(), "the second chunk fetched again");
            assertArrayEquals(new long[] {chunks.get(1).blobOffset(), chunks.get(1).blobEnd()}, blob.ranges.get(0));
        }
    }

    private static byte[] read(FilesystemOps fs, String path, long offset, int length) throws Exception {
        long h = fs.open(path, 0);
        byte[] out = new byte[length];
        int n = fs.read(h, offset, length, (at, src, srcOffset, len) -> System.arraycopy(src, srcOffset, out, at,
                len));
        fs.release(h);
        assertEquals(length, n);
        return out;
    }

    private static byte[] expected(String path, long offset, int length, LayerMount m) throws IOException {
        try (FileBlobSource plain = FileBlobSource.open(BLOB)) {
            return new LayerReader(plain, m.index()).read(m.index().lookup(path).orElseThrow(), offset, length);
        }
    }
}
