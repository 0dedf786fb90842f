package io.jstargz.estargz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * zstd:chunked against the reference library ({@code estargz.Build} with its zstdchunked compressor, as ctr-remote
 * {@code --zstdchunked} uses it, and {@code estargz.Open} with its zstdchunked decompressor): each reads what the
 * other writes, with the same entries, the same uncompressed stream and the same diffID.
 */
class ZstdChunkedTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] PRIORITIZED = {"bin/app", "etc/passwd"};

    @TempDir
    Path tmp;

    private JsonNode referenceBuild(Path out) throws Exception {
        List<String> args = new ArrayList<>(List.of("build-zstd", TestData.vector("small1.tar").toString(),
                out.toString(), "65536", "3"));
        args.addAll(List.of(PRIORITIZED));
        RefCheck.Result r = RefCheck.refcheck(args.toArray(new String[0]));
        assertEquals(0, r.exit(), r.stderr());
        return JSON.readTree(r.stdout());
    }

    /** The reference reader's listing of a blob (verifying every chunk), without its first line, the TOC digest. */
    private static List<String> referenceListing(Path blob, String tocDigest) throws Exception {
        RefCheck.Result r = RefCheck.refcheck("list", blob.toString(), tocDigest);
        assertEquals(0, r.exit(), "the reference reader accepts the blob: " + r.stderr());
        assertEquals(tocDigest, r.lines().get(0));
        return r.lines().subList(1, r.lines().size());
    }

    private static List<String> ourListing(byte[] blob, String tocDigest) throws Exception {
        LayerIndex index = EstargzReader.open(new TestData.CountingSource(blob),
                OpenOptions.defaults("zstd").withExpectedTocDigest(tocDigest));
        assertEquals(BlobFormat.ZSTD_CHUNKED, index.format());
        List<String> listing = new ArrayList<>();
        LayerVerifier.verify(new TestData.CountingSource(blob), index, listing::add);
        return listing;
    }

    @Test
    void aBlobTheReferenceBuiltOpensAndReadsAsTheReferenceReaderSeesIt() throws Exception {
        Path ref = tmp.resolve("ref.zst");
        String tocDigest = referenceBuild(ref).get("tocDigest").asText();
        assertEquals(referenceListing(ref, tocDigest), ourListing(Files.readAllBytes(ref), tocDigest));
    }

    @Test
    void ourBlobHasTheReferencesEntriesStreamAndDiffIdAndTheReferenceReaderAcceptsIt() throws Exception {
        Path ref = tmp.resolve("ref.zst");
        JsonNode refResult = referenceBuild(ref);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ConvertResult ours = new LayerConverter(ConvertOptions.defaults().withFormat(BlobFormat.ZSTD_CHUNKED)
                .withChunkSize(65536).withPrioritizedFiles(List.of(PRIORITIZED)).withParallelism(2))
                .convert(TestData.vector("small1.tar"), out);
        byte[] blob = out.toByteArray();
        byte[] refBlob = Files.readAllBytes(ref);
        assertArrayEquals(Blobs.payloadTar(refBlob), Blobs.payloadTar(blob), "the uncompressed stream");
        assertEquals(refResult.get("diffID").asText(), ours.diffId());
        assertEquals(Blobs.tocWithoutOffsets(refBlob), Blobs.tocWithoutOffsets(blob));
        assertEquals(blob.length, ours.size());
        assertEquals(Digests.of(blob), ours.blobDigest());

        Path oursFile = tmp.resolve("ours.zst");
        Files.write(oursFile, blob);
        assertEquals(referenceListing(oursFile, ours.tocDigest()), ourListing(blob, ours.tocDigest()));
        JsonNode refAnnotations = refResult.get("annotations");
        assertEquals(refAnnotations.size(), ours.formatAnnotations().size());
        String position = ours.formatAnnotations().get(ZstdChunkedFormat.MANIFEST_POSITION);
        String[] p = position.split(":");
        assertEquals("1", p[3]);
        byte[] compressedToc = java.util.Arrays.copyOfRange(blob, Integer.parseInt(p[0]),
                Integer.parseInt(p[0]) + Integer.parseInt(p[1]));
        assertEquals(Digests.of(compressedToc), ours.formatAnnotations().get(ZstdChunkedFormat.MANIFEST_CHECKSUM));
        assertEquals(Blobs.tocJson(blob).length, Integer.parseInt(p[2]));
        assertEquals(refAnnotations.get(ZstdChunkedFormat.MANIFEST_POSITION).asText().split(":").length, p.length);
    }
}
