package io.jstargz.remote;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jstargz.estargz.Annotations;
import io.jstargz.estargz.ByteRange;
import io.jstargz.estargz.LayerIndex;
import io.jstargz.estargz.OpenOptions;
import io.jstargz.estargz.TailCapture;
import io.jstargz.remote.auth.CredentialStore;
import io.jstargz.testing.RegistryAccessLog;
import io.jstargz.testing.RegistryServer;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The client against a real registry (docker-registry 2.8 on 127.0.0.1): resolve, read, push. */
class RegistryClientTest {

    static final Platform AMD64 = Platform.parse("linux/amd64");
    private static final Platform ARM64 = Platform.parse("linux/arm64/v8");
    private static RegistryServer registry;
    private static RegistryClient client;
    private static TestImages.Pushed image;

    @BeforeAll
    static void start() throws IOException {
        registry = RegistryServer.start();
        client = RegistryClient.create(config().build(), CredentialStore.ANONYMOUS);
        image = TestImages.push(client, ref("jstargz/small:1"), TestImages.ESTARGZ_BLOBS, AMD64);
    }

    @AfterAll
    static void stop() throws IOException {
        client.close();
        registry.close();
    }

    static RegistryConfig.Builder config() {
        return RegistryConfig.builder().hostsDir(Path.of("/nonexistent-hosts-dir")).platform(AMD64);
    }

    private static ImageReference ref(String path) {
        return ImageReference.parse(registry.host() + "/" + path);
    }

    private List<RegistryAccessLog.Entry> since(int mark) throws IOException {
        registry.syncAccessLog();
        return registry.accessLog().since(mark);
    }

    @Test
    void resolvesATagToItsManifestWithLayerAnnotations() throws IOException {
        ResolvedImage resolved = client.resolve(ref("jstargz/small:1"));
        assertEquals(image.digest(), resolved.reference().digest());
        assertEquals(image.layers(), resolved.manifest().layers());
        assertEquals(TestImages.report("small1-default.esgz").get("tocDigest").asText(),
                resolved.manifest().layer(TestImages.layer("small1-default.esgz").digest())
                        .annotation(Annotations.TOC_DIGEST));
    }

    @Test
    void selectsThePlatformFromAnIndex() throws IOException {
        TestImages.Pushed amd = TestImages.push(client, ref("jstargz/multi:amd"), TestImages.ESTARGZ_BLOBS, AMD64);
        TestImages.Pushed arm = TestImages.push(client, ref("jstargz/multi:arm"), List.of("small1-default.esgz"),
                ARM64);
        Map<Platform, TestImages.Pushed> images = new LinkedHashMap<>();
        images.put(AMD64, amd);
        images.put(ARM64, arm);
        Digest index = TestImages.pushIndex(client, ref("jstargz/multi:1"), images);

        ResolvedImage onAmd = client.resolve(ref("jstargz/multi:1"), Platform.parse("linux/x86_64"));
        assertEquals(amd.digest(), onAmd.reference().digest());
        assertEquals(index, onAmd.indexDigest());
        ResolvedImage onArm = client.resolve(ref("jstargz/multi:1"), Platform.parse("linux/aarch64"));
        assertEquals(arm.digest(), onArm.reference().digest());
        assertEquals(1, onArm.manifest().layers().size());
        NotFoundException e = assertThrows(NotFoundException.class,
                () -> client.resolve(ref("jstargz/multi:1"), Platform.parse("linux/s390x")));
        assertTrue(e.getMessage().contains("linux/s390x") && e.getMessage().contains("linux/arm64"),
                e.getMessage());
    }

    @Test
    void concurrentResolutionsOfOneImageCostOneManifestRequest() throws Exception {
        TestImages.push(client, ref("jstargz/once:1"), List.of("small1-default.esgz"), AMD64);
        int mark = registry.accessLogMark();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<ResolvedImage>> futures = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                futures.add(pool.submit(() -> client.resolve(ref("jstargz/once:1"))));
            }
            for (Future<ResolvedImage> f : futures) {
                assertEquals(1, f.get().manifest().layers().size());
            }
        } finally {
            pool.shutdown();
        }
        assertEquals(1, since(mark).stream().filter(e -> e.uri().contains("/manifests/")).count());
    }

    @Test
    void theEstargzReaderOpensALayerWithOneRequest() throws IOException {
        for (String name : TestImages.ESTARGZ_BLOBS) {
            byte[] file = Files.readAllBytes(TestImages.blob(name));
            Descriptor layer = TestImages.layer(name);
            for (long knownSize : new long[] {layer.size(), -1}) {
                int mark = registry.accessLogMark();
                try (RegistryBlobSource blob = client.openBlob(ref("jstargz/small:1"), layer.digest(), knownSize)) {
                    // without a size, the request for the tail tells it
                    int tail = OpenOptions.DEFAULT_TAIL_SIZE;
                    LayerIndex index = TestImages.open(
                            knownSize < 0 ? new TailCapture(blob, blob.readTail(tail)) : blob, name, tail);
                    assertEquals(file.length, index.blobSize());
                    assertTrue(index.lookup("bin/app").isPresent(), name);
                    assertArrayEquals(Arrays.copyOfRange(file, 0, 512), blob.read(0, 512));
                }
                List<RegistryAccessLog.Entry> seen = since(mark);
                assertEquals(2, seen.size(), name + " size " + knownSize + ": " + seen);
                assertTrue(seen.stream().allMatch(e -> e.isBlobGet() && e.status() == 206), seen.toString());
            }
        }
    }

    @Test
    void aTocBeforeTheTailCostsOneMoreRequest() throws IOException {
        String name = "small1-chunk64k-prio.esgz";
        Descriptor layer = TestImages.layer(name);
        try (RegistryClient small = RegistryClient.create(config().tailFetchSize(1024).build(),
                CredentialStore.ANONYMOUS)) {
            for (long knownSize : new long[] {layer.size(), -1}) {
                int mark = registry.accessLogMark();
                RegistryBlobSource blob = small.openBlob(ref("jstargz/small:1"), layer.digest(), knownSize);
                LayerIndex index = TestImages.open(knownSize < 0 ? new TailCapture(blob, blob.readTail(1024)) : blob,
                        name, 1024);
                assertTrue(layer.size() - index.tocOffset() > 1024, "the TOC must not fit the tail for this test");
                List<RegistryAccessLog.Entry> seen = since(mark);
                assertEquals(2, seen.size(), seen.toString());
            }
        }
    }

    @Test
    void aBatchOfRangesIsOneMultiRangeRequest() throws IOException {
        byte[] file = Files.readAllBytes(TestImages.blob("small1-default.esgz"));
        List<ByteRange> ranges = List.of(new ByteRange(300_000, 1000), new ByteRange(10, 100),
                new ByteRange(110, 50), new ByteRange(150_000, 4096), new ByteRange(200_000, 1));
        int mark = registry.accessLogMark();
        List<byte[]> got = client.openBlob(ref("jstargz/small:1"), TestImages.layer("small1-default.esgz"))
                .readRanges(ranges);
        for (int i = 0; i < ranges.size(); i++) {
            ByteRange r = ranges.get(i);
            assertArrayEquals(Arrays.copyOfRange(file, (int) r.offset(), (int) r.end()), got.get(i), r.toString());
        }
        List<RegistryAccessLog.Entry> seen = since(mark);
        assertEquals(1, seen.size(), seen.toString());
        assertEquals(206, seen.get(0).status());
    }

    @Test
    void aPrefetchStreamIsOneRequest() throws IOException {
        byte[] file = Files.readAllBytes(TestImages.blob("small1-chunk64k-prio.esgz"));
        int mark = registry.accessLogMark();
        RegistryBlobSource blob = client.openBlob(ref("jstargz/small:1"),
                TestImages.layer("small1-chunk64k-prio.esgz"));
        try (InputStream in = blob.openStream(0, 300_000)) {
            assertArrayEquals(Arrays.copyOf(file, 300_000), in.readAllBytes());
        }
        List<RegistryAccessLog.Entry> seen = since(mark);
        assertEquals(1, seen.size(), seen.toString());
        assertEquals(300_000, seen.get(0).bytesWritten());
    }

    @Test
    void manyThreadsReadOneBlob() throws Exception {
        byte[] file = Files.readAllBytes(TestImages.blob("small1-default.esgz"));
        RegistryBlobSource blob = client.openBlob(ref("jstargz/small:1"), TestImages.layer("small1-default.esgz"));
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 16; t++) {
                long seed = t;
                futures.add(pool.submit(() -> {
                    Random random = new Random(seed);
                    for (int i = 0; i < 20; i++) {
                        int length = 1 + random.nextInt(20_000);
                        long offset = random.nextInt(file.length - length);
                        assertArrayEquals(Arrays.copyOfRange(file, (int) offset, (int) offset + length),
                                blob.read(offset, length));
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void wholeBlobsAreCheckedAgainstTheirDigest() throws IOException {
        Descriptor layer = TestImages.layer("small1-default.esgz");
        assertEquals(layer.size(), client.blobSize(ref("jstargz/small:1"), layer.digest()));
        try (InputStream in = client.fetchBlob(ref("jstargz/small:1"), layer.digest(), -1)) {
            assertArrayEquals(Files.readAllBytes(TestImages.blob("small1-default.esgz")), in.readAllBytes());
        }
    }

    @Test
    void missingThingsAreNotFoundWithTheirNames() throws IOException {
        NotFoundException tag = assertThrows(NotFoundException.class, () -> client.resolve(ref("jstargz/small:nope")));
        assertTrue(tag.getMessage().contains("jstargz/small:nope"), tag.getMessage());
        Digest absent = Digest.sha256(new byte[] {1, 2, 3});
        NotFoundException blob = assertThrows(NotFoundException.class,
                () -> client.openBlob(ref("jstargz/small:1"), absent, 100).read(0, 10));
        assertTrue(blob.getMessage().contains(absent.toString()), blob.getMessage());
        EOFException eof = assertThrows(EOFException.class,
                () -> client.openBlob(ref("jstargz/small:1"), image.layers().get(0).digest(), -1)
                        .read(image.layers().get(0).size() - 5, 10));
        assertTrue(eof.getMessage().contains(image.layers().get(0).digest().toString()), eof.getMessage());
    }

    @Test
    void checkIsFreeRightAfterASuccessAndOneByteOtherwise() throws IOException {
        Descriptor layer = TestImages.layer("small1-default.esgz");
        RegistryBlobSource blob = client.openBlob(ref("jstargz/small:1"), layer);
        blob.read(0, 10);
        int mark = registry.accessLogMark();
        blob.check();
        assertEquals(0, since(mark).size());
        try (RegistryClient eager = RegistryClient.create(config().checkInterval(Duration.ZERO).build(),
                CredentialStore.ANONYMOUS)) {
            eager.openBlob(ref("jstargz/small:1"), layer).check();
            List<RegistryAccessLog.Entry> seen = since(mark);
            assertEquals(1, seen.size());
            assertEquals(1, seen.get(0).bytesWritten());
        }
    }

    @Test
    void pushUploadsMountsAndSkips() throws IOException {
        byte[] data = new byte[300_000];
        new Random(7).nextBytes(data);
        BlobContent content = BlobContent.of(data);
        assertEquals(PushOutcome.UPLOADED, client.pushBlob(ref("jstargz/push-a:1"), content, null));
        assertEquals(PushOutcome.ALREADY_EXISTS, client.pushBlob(ref("jstargz/push-a:1"), content, null));
        assertEquals(PushOutcome.MOUNTED,
                client.pushBlob(ref("jstargz/push-b:1"), content, ref("jstargz/push-a:1")));
        assertTrue(client.blobExists(ref("jstargz/push-b:1"), content.digest()));
        // a mount from a repository without the blob: the registry answers 202 and the client uploads
        BlobContent other = BlobContent.of(Arrays.copyOf(data, 1000));
        assertEquals(PushOutcome.UPLOADED, client.pushBlob(ref("jstargz/push-d:1"), other, ref("jstargz/push-a:1")));
        assertTrue(client.blobExists(ref("jstargz/push-d:1"), other.digest()));

        try (RegistryClient chunked = RegistryClient.create(config().uploadChunkSize(64 * 1024).build(),
                CredentialStore.ANONYMOUS)) {
            int mark = registry.accessLogMark();
            assertEquals(PushOutcome.UPLOADED, chunked.pushBlob(ref("jstargz/push-c:1"), content, null));
            assertEquals(5, since(mark).stream().filter(e -> e.method().equals("PATCH")).count());
        }
        try (InputStream in = client.fetchBlob(ref("jstargz/push-c:1"), content.digest(), data.length)) {
            assertArrayEquals(data, in.readAllBytes());
        }
    }

    @Test
    void manifestsArePutByDigestAndReadBackByteForByte() throws IOException {
        ImageReference byDigest = ImageReference.parse(registry.host() + "/jstargz/small@" + image.digest());
        ManifestContent stored = client.getManifest(byDigest);
        assertArrayEquals(image.manifest(), stored.bytes());
        assertEquals(MediaTypes.OCI_MANIFEST, stored.mediaType());
        Digest again = client.putManifest(byDigest, MediaTypes.OCI_MANIFEST, image.manifest());
        assertEquals(image.digest(), again);
    }
}
