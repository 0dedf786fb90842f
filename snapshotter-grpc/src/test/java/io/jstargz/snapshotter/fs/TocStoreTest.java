package io.jstargz.snapshotter.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jstargz.estargz.BlobTail;
import io.jstargz.estargz.FileBlobSource;
import io.jstargz.estargz.EstargzReader;
import io.jstargz.estargz.LayerIndex;
import io.jstargz.estargz.OpenOptions;
import io.jstargz.estargz.TailCapture;
import io.jstargz.remote.Digest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The TOC of a layer kept on disk: what is captured, stored, read back, and what happens to a damaged file. */
class TocStoreTest {
    private static final Path VECTOR = Path.of(System.getProperty("jstargz.repo"), "testdata", "estargz",
            "small1-default.esgz");

    @TempDir
    Path tmp;

    @Test
    void theCapturedTocOpensTheIndexAgainWithoutTheBlob() throws Exception {
        TailCapture capture;
        LayerIndex index;
        try (FileBlobSource blob = FileBlobSource.open(VECTOR)) {
            long size = blob.size();
            // a tail smaller than the TOC: the reader reads the TOC's start just before it
            capture = new TailCapture(blob, new BlobTail(size, size - 4096, blob.read(size - 4096, 4096)));
            index = EstargzReader.open(capture, OpenOptions.defaults("small1").withTailSize(4096));
        }
        BlobTail toc = TocStore.tocOf(capture.fetched(), index);
        assertEquals(index.blobSize(), toc.blobSize());
        assertTrue(toc.offset() <= index.tocOffset() && toc.offset() > 0, toc.offset() + " vs " + index.tocOffset());
        assertArrayEquals(Arrays.copyOfRange(Files.readAllBytes(VECTOR), (int) toc.offset(), (int) toc.blobSize()),
                toc.bytes());

        TocStore tails = new TocStore(tmp.resolve("layers"));
        Digest digest = Digest.sha256(Files.readAllBytes(VECTOR));
        tails.store(digest, toc);
        BlobTail back = tails.load(digest).orElseThrow();
        LayerIndex again = EstargzReader.open(back.source("small1"), TocStore.openOptions(back, "small1"));
        assertEquals(index.tocDigest(), again.tocDigest());
        assertEquals(index.entryCount(), again.entryCount());
        IOException outside = assertThrows(IOException.class, () -> back.source("small1").read(0, 10));
        assertTrue(outside.getMessage().contains("not in its local tail"), outside.getMessage());
    }

    @Test
    void aDamagedTailIsDroppedNotTrusted() throws Exception {
        TocStore tails = new TocStore(tmp.resolve("layers"));
        Digest digest = Digest.sha256(new byte[] {1});
        tails.store(digest, new BlobTail(100, 90, new byte[10]));
        assertTrue(tails.has(digest));
        Path file;
        try (var files = Files.list(tmp.resolve("layers"))) {
            file = files.findFirst().orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(bytes, bytes.length - 3)); // torn write
        assertTrue(tails.load(digest).isEmpty());
        assertFalse(tails.has(digest), "the damaged file is deleted");
    }
}
