package io.jstargz.estargz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Blobs our converter writes from {@code small1.tar} (which has every entry type) are what the reference converter
 * writes, apart from compressed bytes: the same uncompressed tar stream, the same TOC entries; the reference reader
 * accepts them and sees the same files; GNU tar extracts the source files from them.
 */
class ConverterTest {
    private static final Path SMALL1 = TestData.vector("small1.tar");
    private static final List<String> PRIORITIZED = List.of("bin/app", "etc/passwd", "usr/lib/big.bin");

    @TempDir
    Path tmp;

    private record Converted(byte[] blob, ConvertResult result, Path file) {
    }

    private Converted convert(ConvertOptions options, String name) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ConvertResult result = new LayerConverter(options).convert(SMALL1, out);
        Path file = tmp.resolve(name);
        Files.write(file, out.toByteArray());
        return new Converted(out.toByteArray(), result, file);
    }

    @Test
    void defaultOptionsGiveTheReferenceLayout() throws Exception {
        Converted c = convert(ConvertOptions.defaults().withParallelism(2), "ours.esgz");
        byte[] reference = Files.readAllBytes(TestData.vector("small1-default.esgz"));

        byte[] payload = Blobs.payloadTar(c.blob());
        assertTrue(payload.length > 640_000, "the payload holds all of small1.tar: " + payload.length);
        assertArrayEquals(Blobs.payloadTar(reference), payload,
                "uncompressed tar stream (before the TOC) equals the reference's byte for byte");
        assertEquals(Blobs.tocWithoutOffsets(reference), Blobs.tocWithoutOffsets(c.blob()));
        assertDigests(c);
        assertListing(c, "small1-default.entries.jsonl");
        assertTrue(c.result().missedPrioritizedFiles().isEmpty());
    }

    @Test
    void prioritizedFilesAndSmallChunksGiveTheReferenceLayout() throws Exception {
        // The reference silently leaves out usr/lib/big.bin (its parent usr/lib has no entry in small1.tar), so
        // its layout is what we write for the two files it did prioritize.
        Converted c = convert(ConvertOptions.defaults().withChunkSize(65536)
                .withPrioritizedFiles(List.of("bin/app", "etc/passwd")).withParallelism(1), "prio.esgz");
        byte[] reference = Files.readAllBytes(TestData.vector("small1-chunk64k-prio.esgz"));

        assertArrayEquals(Blobs.payloadTar(reference), Blobs.payloadTar(c.blob()));
        assertEquals(Blobs.tocWithoutOffsets(reference), Blobs.tocWithoutOffsets(c.blob()));
        assertTrue(c.result().missedPrioritizedFiles().isEmpty());
        assertDigests(c);
        assertListing(c, "small1-chunk64k-prio.entries.jsonl");
    }

    @Test
    void aFileWhoseParentHasNoEntryIsStillPrioritized() throws Exception {
        Converted c = convert(ConvertOptions.defaults().withChunkSize(65536).withPrioritizedFiles(PRIORITIZED)
                .withParallelism(1), "implicit-parent.esgz");
        assertTrue(c.result().missedPrioritizedFiles().isEmpty());
        LayerIndex index = EstargzReader.open(new TestData.CountingSource(c.blob()), OpenOptions.defaults("prio"));
        long landmark = index.prefetchEnd().orElseThrow();
        for (String p : PRIORITIZED) {
            Entry e = index.lookup(p).orElseThrow();
            assertTrue(e.chunks().get(e.chunkCount() - 1).blobEnd() <= landmark, p + " lies before the landmark");
        }
        assertListing(c, "small1-chunk64k-prio.entries.jsonl");
    }

    @Test
    void parallelAndSerialCompressionWriteTheSameTocAndStream() throws Exception {
        ConvertOptions opts = ConvertOptions.defaults().withChunkSize(100_000).withCompressionLevel(1);
        Converted one = convert(opts.withParallelism(1), "one.esgz");
        Converted four = convert(opts.withParallelism(4), "four.esgz");
        assertArrayEquals(one.blob(), four.blob(), "compression is deterministic whatever the thread count");
    }

    @Test
    void gzippedInputConvertsLikeTheTar() throws Exception {
        Path gz = tmp.resolve("small1.tar.gz");
        try (InputStream in = Files.newInputStream(SMALL1);
             var out = new java.util.zip.GZIPOutputStream(Files.newOutputStream(gz))) {
            in.transferTo(out);
        }
        ConvertOptions opts = ConvertOptions.defaults().withParallelism(2).withTempDir(tmp);
        ByteArrayOutputStream fromStream = new ByteArrayOutputStream();
        try (InputStream in = Files.newInputStream(gz)) {
            new LayerConverter(opts).convert(in, fromStream);
        }
        Converted fromTar = convert(opts, "tar.esgz");
        assertArrayEquals(fromTar.blob(), fromStream.toByteArray());
        try (var files = Files.list(tmp)) {
            assertEquals(0, files.filter(p -> p.getFileName().toString().startsWith("jstargz-")).count(),
                    "the spool file is deleted");
        }
    }

    @Test
    void referenceReaderAcceptsOurBlobs() throws Exception {
        Converted c = convert(ConvertOptions.defaults().withChunkSize(65536).withPrioritizedFiles(PRIORITIZED),
                "prio.esgz");
        RefCheck.Result r = RefCheck.refcheck("list", c.file().toString(), c.result().tocDigest());
        assertEquals(0, r.exit(), r.stderr());
        List<String> lines = r.lines();
        assertEquals(c.result().tocDigest(), lines.get(0));
        assertEquals(TestData.lines("small1-chunk64k-prio.entries.jsonl"), lines.subList(1, lines.size()));
    }

    @Test
    void gnuTarListsAndExtractsTheSourceFiles() throws Exception {
        Converted c = convert(ConvertOptions.defaults().withChunkSize(50_000), "ours.esgz");
        List<String> ours = new ArrayList<>(tar("-tvzf", c.file().toString()));
        ours.removeIf(l -> l.endsWith(" " + Landmarks.NO_PREFETCH) || l.endsWith(" " + Landmarks.TOC_TAR_NAME));
        assertEquals(tar("-tvf", SMALL1.toString()), ours);

        Path a = Files.createDirectories(tmp.resolve("from-tar"));
        Path b = Files.createDirectories(tmp.resolve("from-esgz"));
        List<String> skipDevices = List.of("--exclude=dev/null", "--exclude=dev/sda");
        tar(concat(List.of("-xf", SMALL1.toString(), "-C", a.toString()), skipDevices));
        tar(concat(List.of("-xzf", c.file().toString(), "-C", b.toString()), skipDevices));
        Files.delete(b.resolve(Landmarks.NO_PREFETCH));
        Files.delete(b.resolve(Landmarks.TOC_TAR_NAME));
        List<String> extracted = Trees.describe(b);
        assertTrue(extracted.size() > 50, "extracted " + extracted);
        assertEquals(Trees.describe(a), extracted);
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    private static List<String> tar(String... args) throws Exception {
        return tar(List.of(args));
    }

    private static List<String> tar(List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("tar", "--numeric-owner"));
        cmd.addAll(args);
        RefCheck.Result r = RefCheck.run(cmd, List.of("TZ=UTC", "LC_ALL=C.UTF-8"), null, 60);
        assertEquals(0, r.exit(), String.join(" ", cmd) + ": " + r.stderr());
        return r.lines();
    }

    private static void assertDigests(Converted c) throws Exception {
        byte[] uncompressed = Blobs.gunzip(c.blob());
        assertEquals(Digests.of(uncompressed), c.result().diffId());
        assertEquals(uncompressed.length, c.result().uncompressedSize());
        assertEquals(Digests.of(c.blob()), c.result().blobDigest());
        assertEquals(c.blob().length, c.result().size());
        try (FileBlobSource src = FileBlobSource.open(c.file())) {
            assertEquals(c.result().tocDigest(), EstargzReader.open(src, OpenOptions.defaults("ours")).tocDigest());
        }
    }

    private static void assertListing(Converted c, String expected) throws Exception {
        try (FileBlobSource src = FileBlobSource.open(c.file())) {
            LayerIndex index = EstargzReader.open(src, OpenOptions.defaults("ours"));
            List<String> listing = new ArrayList<>();
            LayerVerifier.verify(src, index, listing::add);
            assertEquals(TestData.lines(expected), listing);
        }
    }
}
