package io.jstargz.estargz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Opening a layer over the tail fetched first: what reaches the blob, and what is kept. */
class TailCaptureTest {
    private static final Path VECTOR = TestData.vector("small1-default.esgz");

    @Test
    void theCaptureAnswersFromTheTailAndKeepsOnlyWhatAdjoinsIt() throws Exception {
        byte[] all = Files.readAllBytes(VECTOR);
        try (FileBlobSource blob = FileBlobSource.open(VECTOR)) {
            long size = blob.size();
            ReadCounter recorder = new ReadCounter(blob);
            BlobTail tail = new BlobTail(size, size - 1000, Arrays.copyOfRange(all, all.length - 1000, all.length));
            TailCapture capture = new TailCapture(recorder, tail);
            assertSame(tail.bytes(), capture.read(size - 1000, 1000), "the tail read is the tail, not a copy");
            capture.read(100, 50);
            assertEquals(tail, capture.fetched(), "a read away from the tail is not kept");
            capture.read(size - 1500, 500);
            assertEquals(2, recorder.reads, "only reads outside the tail reach the blob");
            BlobTail fetched = capture.fetched();
            assertEquals(size - 1500, fetched.offset());
            assertArrayEquals(Arrays.copyOfRange(all, all.length - 1500, all.length), fetched.bytes());
        }
    }

    /** Counts the reads that reach a blob. */
    private static final class ReadCounter extends ForwardingBlob {
        int reads;

        ReadCounter(RemoteBlob blob) {
            super(blob);
        }

        @Override
        public byte[] read(long offset, int length) throws IOException {
            reads++;
            return super.read(offset, length);
        }
    }
}
