package io.jstargz.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jstargz.estargz.ByteRange;
import io.jstargz.estargz.FileBlobSource;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a layer's blob fetches when the opening's tail holds part of what a read asks for. */
class KeptTailBlobTest {
    private static final int SIZE = 1000;
    /** The tail starts at 600 and cuts a span that ends at 800: bytes [600, 800) are kept. */
    private static final int TAIL = 600;
    private static final int CUT_SPAN_END = 800;

    @TempDir
    Path tmp;

    @Test
    void aReadOfTheCutSpanFetchesOnlyWhatTheTailLacksThenTheKeptBytesAreDropped() throws Exception {
        byte[] bytes = blobBytes();
        try (ReadPathTest.RecordingBlobSource recorded = recorded(bytes); KeptTailBlob blob = kept(recorded, bytes)) {
            assertArrayEquals(Arrays.copyOfRange(bytes, 500, 800), blob.read(500, 300));
            assertEquals(List.of("500-600"), ranges(recorded));
            recorded.ranges.clear();
            assertArrayEquals(Arrays.copyOfRange(bytes, 500, 800), blob.read(500, 300));
            assertEquals(List.of("500-800"), ranges(recorded), "once taken, the kept bytes are gone");
        }
    }

    @Test
    void rangesAroundAndApartFromTheKeptBytesComeRightInOneCall() throws Exception {
        byte[] bytes = blobBytes();
        try (ReadPathTest.RecordingBlobSource recorded = recorded(bytes); KeptTailBlob blob = kept(recorded, bytes)) {
            List<byte[]> got = blob.readRanges(List.of(new ByteRange(0, 100), new ByteRange(550, 450),
                    new ByteRange(700, 100)));
            assertArrayEquals(Arrays.copyOfRange(bytes, 0, 100), got.get(0));
            assertArrayEquals(Arrays.copyOfRange(bytes, 550, 1000), got.get(1));
            assertArrayEquals(Arrays.copyOfRange(bytes, 700, 800), got.get(2));
            assertEquals(List.of("0-100", "550-600", "800-1000"), ranges(recorded));
        }
    }

    @Test
    void aStreamOverTheKeptBytesReadsTheRestFromTheBlob() throws Exception {
        byte[] bytes = blobBytes();
        try (ReadPathTest.RecordingBlobSource recorded = recorded(bytes); KeptTailBlob blob = kept(recorded, bytes);
             InputStream in = blob.openStream(100, 900)) {
            assertArrayEquals(Arrays.copyOfRange(bytes, 100, 1000), in.readAllBytes());
            assertEquals(List.of("100-600", "800-1000"), ranges(recorded));
        }
    }

    private byte[] blobBytes() {
        byte[] bytes = new byte[SIZE];
        new Random(7).nextBytes(bytes);
        return bytes;
    }

    private ReadPathTest.RecordingBlobSource recorded(byte[] bytes) throws Exception {
        Path file = tmp.resolve("blob");
        Files.write(file, bytes);
        return new ReadPathTest.RecordingBlobSource(FileBlobSource.open(file));
    }

    private static KeptTailBlob kept(ReadPathTest.RecordingBlobSource recorded, byte[] bytes) {
        KeptTailBlob blob = new KeptTailBlob(recorded);
        blob.keep(TAIL, Arrays.copyOfRange(bytes, TAIL, CUT_SPAN_END));
        return blob;
    }

    private static List<String> ranges(ReadPathTest.RecordingBlobSource recorded) {
        return recorded.ranges.stream().map(r -> r[0] + "-" + r[1]).toList();
    }
}
