package io.jstargz.estargz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.github.luben.zstd.ZstdInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Members split across batches (pigz-style) and compressed in parallel are valid, independent gzip members; members
 * compressed as streams, flushed between writes, are valid gzip members and zstd frames.
 */
class ParallelMemberWriterTest {

    private static byte[] sample(int size, long seed) {
        Random r = new Random(seed);
        byte[] b = new byte[size];
        String words = "lorem ipsum dolor sit amet consectetur adipiscing elit ";
        for (int i = 0; i < size; i++) {
            b[i] = i % 7 == 0 ? (byte) r.nextInt() : (byte) words.charAt((i / 3 + r.nextInt(3)) % words.length());
        }
        return b;
    }

    private record Written(byte[] blob, long[] offsets, long uncompressed) {
    }

    private static Written write(List<byte[]> members, int parallelism) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long[] offsets = new long[members.size()];
        try (ParallelMemberWriter w = new ParallelMemberWriter(out, new GzipCodec(9, false), parallelism)) {
            for (int i = 0; i < members.size(); i++) {
                int at = i;
                w.newMember(off -> offsets[at] = off);
                byte[] m = members.get(i);
                for (int p = 0; p < m.length; p += 700_001) {
                    w.write(m, p, Math.min(700_001, m.length - p));
                }
            }
            w.flush();
            assertEquals(out.size(), w.compressedSize());
            return new Written(out.toByteArray(), offsets, w.uncompressedSize());
        }
    }

    @Test
    void membersAcrossBatchBoundariesDecodeOnTheirOwn() throws Exception {
        int batch = ParallelMemberWriter.BATCH_SIZE;
        List<byte[]> members = List.of(
                sample(3 * batch + batch / 2, 1),
                sample(1000, 2),
                sample(batch / 2 - 1000, 3),
                sample(batch, 4),
                new byte[0],
                sample(5, 5));
        Written parallel = write(members, 3);
        Written serial = write(members, 1);
        assertArrayEquals(serial.blob(), parallel.blob(), "output does not depend on the thread count");
        assertArrayEquals(serial.offsets(), parallel.offsets());

        long[] offsets = parallel.offsets();
        for (int i = 0; i < members.size(); i++) {
            int from = (int) offsets[i];
            int to = i + 1 < offsets.length ? (int) offsets[i + 1] : parallel.blob().length;
            byte[] slice = Arrays.copyOfRange(parallel.blob(), from, to);
            try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(slice))) {
                assertArrayEquals(members.get(i), in.readAllBytes(), "member " + i);
            }
        }
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        members.forEach(all::writeBytes);
        assertArrayEquals(all.toByteArray(), Blobs.gunzip(parallel.blob()));
        assertEquals(all.size(), parallel.uncompressed());
        List<Long> distinct = new ArrayList<>();
        for (long o : offsets) {
            distinct.add(o);
        }
        assertEquals(distinct.stream().distinct().count(), offsets.length, "every member has its own offset");
        assertEquals(0, offsets[0]);
        assertEquals(2, parallel.blob()[8], "XFL says best compression, as Go writes it");
        assertEquals((byte) 0xff, parallel.blob()[9], "OS unknown, as Go writes it");
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void streamingMembersFlushedBetweenWritesDecodeOnTheirOwn(boolean zstd) throws Exception {
        MemberCodec codec = zstd ? new ZstdCodec(3, true) : new GzipCodec(6, true);
        List<byte[]> members = List.of(sample(ParallelMemberWriter.BATCH_SIZE * 2 + 77, 6), sample(300, 7),
                sample(1, 8));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long[] offsets = new long[members.size()];
        try (ParallelMemberWriter w = new ParallelMemberWriter(out, codec, 4)) {
            for (int i = 0; i < members.size(); i++) {
                w.newMember(null);
                offsets[i] = w.syncFlush();
                byte[] m = members.get(i);
                for (int p = 0; p < m.length; p += 100_000) {
                    w.write(m, p, Math.min(100_000, m.length - p));
                    long flushed = w.syncFlush();
                    assertEquals(out.size(), flushed, "a sync flush writes everything so far");
                }
            }
            w.flush();
        }
        byte[] blob = out.toByteArray();
        for (int i = 0; i < members.size(); i++) {
            int to = i + 1 < offsets.length ? (int) offsets[i + 1] : blob.length;
            byte[] slice = Arrays.copyOfRange(blob, (int) offsets[i], to);
            InputStream in = zstd ? new ZstdInputStream(new ByteArrayInputStream(slice))
                    : new GZIPInputStream(new ByteArrayInputStream(slice));
            try (in) {
                assertArrayEquals(members.get(i), in.readAllBytes(), "member " + i);
            }
        }
    }
}
