package io.jstargz.remote;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jstargz.estargz.BlobTail;
import io.jstargz.estargz.ByteRange;
import io.jstargz.remote.auth.CredentialStore;
import io.jstargz.remote.auth.Credentials;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;
import mockwebserver3.SocketEffect;
import okio.Buffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults a real registry does not produce on demand, injected with MockWebServer: server errors, rate limits, broken
 * connections, short bodies, servers that ignore or mangle Range, redirects to blob storage, expired tokens.
 */
class FaultInjectionTest {

    private static final int BLOB_SIZE = 200_000;
    private MockRegistry registry;
    private RegistryClient client;

    @BeforeEach
    void start() throws IOException {
        registry = new MockRegistry(BLOB_SIZE);
        client = RegistryClient.create(fastRetries().build(), CredentialStore.ANONYMOUS);
    }

    @AfterEach
    void stop() {
        client.close();
        registry.close();
    }

    static RegistryConfig.Builder fastRetries() {
        return RegistryConfig.builder()
                .hostsDir(Path.of("/nonexistent-hosts-dir"))
                .retryMinWait(Duration.ofMillis(1))
                .retryMaxWait(Duration.ofMillis(20))
                .requestTimeout(Duration.ofSeconds(10))
                .readTimeout(Duration.ofSeconds(10));
    }

    private RegistryBlobSource blob() throws IOException {
        return client.openBlob(registry.repository(), registry.digest, BLOB_SIZE);
    }

    private static MockResponse status(int code) {
        return new MockResponse.Builder().code(code).body("{\"errors\":[{\"code\":\"UNAVAILABLE\",\"message\":\"x\"}]}")
                .build();
    }

    @Test
    void serverErrorsAreRetriedUntilSuccess() throws IOException {
        registry.fault(r -> status(500));
        registry.fault(r -> status(503));
        assertArrayEquals(registry.slice(1000, 5000), blob().read(1000, 5000));
        assertEquals(3, registry.blobRequests().size());
        assertEquals(2, client.metrics().total().retries());
    }

    @Test
    void retriesAreBoundedAndTheErrorSaysWhatFailed() {
        RegistryConfig config = fastRetries().maxRetries(2).build();
        try (RegistryClient c = RegistryClient.create(config, CredentialStore.ANONYMOUS)) {
            for (int i = 0; i < 10; i++) {
                registry.fault(r -> status(500));
            }
            RegistryException e = assertThrows(RegistryException.class,
                    () -> c.openBlob(registry.repository(), registry.digest, BLOB_SIZE).read(0, 10));
            assertEquals(500, e.status());
            assertTrue(e.getMessage().contains(registry.digest.toString()), e.getMessage());
            assertTrue(e.getMessage().contains("UNAVAILABLE"), e.getMessage());
            assertEquals(3, registry.blobRequests().size());
        }
    }

    @Test
    void tooManyRequestsHonoursRetryAfter() throws IOException {
        registry.fault(r -> new MockResponse.Builder().code(429).setHeader("Retry-After", "1").build());
        long start = System.nanoTime();
        assertArrayEquals(registry.slice(0, 100), blob().read(0, 100));
        long waitedMillis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(waitedMillis >= 950, "waited only " + waitedMillis + " ms after Retry-After: 1");
        assertEquals(2, registry.blobRequests().size());
    }

    @Test
    void retryAfterBeyondTheTimeBudgetFailsAtOnce() {
        RegistryConfig config = fastRetries().retryMaxElapsed(Duration.ofSeconds(2)).build();
        try (RegistryClient c = RegistryClient.create(config, CredentialStore.ANONYMOUS)) {
            registry.fault(r -> new MockResponse.Builder().code(429).setHeader("Retry-After", "3600").build());
            RegistryException e = assertThrows(RegistryException.class,
                    () -> c.openBlob(registry.repository(), registry.digest, BLOB_SIZE).read(0, 10));
            assertEquals(429, e.status());
            assertEquals(Duration.ofHours(1), e.retryAfter());
            assertEquals(1, registry.blobRequests().size());
        }
    }

    @Test
    void connectionResetMidBodyIsRetried() throws IOException {
        registry.fault(r -> new MockResponse.Builder(registry.correct(r))
                .onResponseBody(SocketEffect.ShutdownConnection.INSTANCE).build());
        assertArrayEquals(registry.slice(10_000, 100_000), blob().read(10_000, 100_000));
        assertEquals(2, registry.blobRequests().size());
    }

    @Test
    void shortBodyIsRetriedNeverReturned() throws IOException {
        registry.fault(r -> new MockResponse.Builder().code(206)
                .setHeader("Content-Range", "bytes 0-999/" + BLOB_SIZE)
                .body(new Buffer().write(registry.slice(0, 500)))
                .setHeader("Content-Length", 1000)
                .onResponseEnd(SocketEffect.ShutdownConnection.INSTANCE)
                .build());
        assertArrayEquals(registry.slice(0, 1000), blob().read(0, 1000));
        assertEquals(2, registry.blobRequests().size());
    }

    @Test
    void streamResumesAfterAConnectionLossWithTheRemainingRange() throws IOException {
        registry.fault(r -> new MockResponse.Builder(registry.correct(r))
                .onResponseBody(SocketEffect.ShutdownConnection.INSTANCE).build());
        try (InputStream in = blob().openStream(1000, 150_000)) {
            assertArrayEquals(registry.slice(1000, 150_000), in.readAllBytes());
        }
        List<RecordedRequest> requests = registry.blobRequests();
        assertEquals(2, requests.size());
        String resumed = requests.get(1).getHeaders().get("Range");
        assertTrue(resumed.startsWith("bytes=") && !resumed.equals("bytes=1000-150999")
                && resumed.endsWith("-150999"), resumed);
    }

    @Test
    void wholeBlobAnswerToARangeRequestYieldsTheRightBytes() throws IOException {
        registry.fault(r -> new MockResponse.Builder().code(200).body(new Buffer().write(registry.blob)).build());
        assertArrayEquals(registry.slice(123_456, 7_000), blob().read(123_456, 7_000));
        assertEquals(1, registry.blobRequests().size());
    }

    @Test
    void unknownSizeIsLearnedFromTheTailRequestEvenWhenRangeIsIgnored() throws IOException {
        RegistryBlobSource source = client.openBlob(registry.repository(), registry.digest, -1);
        BlobTail tail = source.readTail(client.config().tailFetchSize());
        assertEquals(BLOB_SIZE, tail.blobSize());
        assertEquals(BLOB_SIZE, source.size());
        assertEquals("bytes=-" + (512 << 10), registry.blobRequests().get(0).getHeaders().get("Range"));
        assertArrayEquals(registry.slice(BLOB_SIZE - 100, 100), tail.slice(BLOB_SIZE - 100, 100));
        assertEquals(1, registry.blobRequests().size(), "the tail request told the size");

        registry.fault(r -> new MockResponse.Builder().code(200).body(new Buffer().write(registry.blob)).build());
        BlobTail whole = client.openBlob(registry.repository(), registry.digest, -1)
                .readTail(client.config().tailFetchSize());
        assertEquals(BLOB_SIZE, whole.blobSize());
        assertArrayEquals(registry.slice(0, 100), whole.slice(0, 100), "a whole blob smaller than a tail is kept");
        assertEquals(2, registry.blobRequests().size());
    }

    @Test
    void partialAnswerCoveringMoreThanAskedIsUsed() throws IOException {
        registry.fault(r -> registry.partial(4000, 20_000));
        assertArrayEquals(registry.slice(5000, 1000), blob().read(5000, 1000));
    }

    @Test
    void partialAnswerWithTheWrongRangeIsAnErrorNamingBoth() {
        for (int i = 0; i < 10; i++) {
            registry.fault(r -> registry.partial(0, 999));
        }
        RegistryException e = assertThrows(RegistryException.class, () -> blob().read(5000, 1000));
        assertTrue(e.getMessage().contains("5000-5999") && e.getMessage().contains("bytes 0-999/" + BLOB_SIZE),
                e.getMessage());
    }

    @Test
    void readPastTheEndIsAnEofWithoutARequest() throws IOException {
        EOFException e = assertThrows(EOFException.class, () -> blob().read(BLOB_SIZE - 10, 20));
        assertTrue(e.getMessage().contains(registry.digest.toString()), e.getMessage());
        assertEquals(0, registry.blobRequests().size());
    }

    @Test
    void redirectToBlobStorageCarriesNoCredentialsAndIsReusedUntilItExpires() throws IOException {
        registry.requireToken();
        try (MockRegistry storage = new MockRegistry(BLOB_SIZE)) {
            String signed = "/storage/blob?X-Signature=secret-signature";
            for (int i = 0; i < 3; i++) {
                registry.fault(r -> new MockResponse.Builder().code(307)
                        .setHeader("Location", storage.server.url(signed)).build());
            }
            // the storage serves the registry's blob under the pre-signed URL
            storage.fault(r -> registry.correct(r));
            storage.fault(r -> registry.correct(r));
            RegistryClient c = RegistryClient.create(fastRetries().build(),
                    store(Credentials.basic("alice", "alice-password")));
            try (c) {
                RegistryBlobSource source = c.openBlob(registry.repository(), registry.digest, BLOB_SIZE);
                assertArrayEquals(registry.slice(0, 1000), source.read(0, 1000));
                assertArrayEquals(registry.slice(2000, 1000), source.read(2000, 1000));
                // one redirect so far: the second read went to the storage URL directly
                assertEquals(1, registry.blobRequests().stream()
                        .filter(r -> r.getHeaders().get("Authorization") != null).count());
                List<RecordedRequest> atStorage = storage.requests;
                assertEquals(2, atStorage.size());
                for (RecordedRequest r : atStorage) {
                    assertNull(r.getHeaders().get("Authorization"), "credentials leaked to blob storage");
                    assertEquals("secret-signature", r.getUrl().queryParameter("X-Signature"));
                }
                // the storage URL expires: the client asks the registry for a fresh one
                storage.fault(r -> new MockResponse.Builder().code(403).build());
                storage.fault(r -> registry.correct(r));
                assertArrayEquals(registry.slice(4000, 1000), source.read(4000, 1000));
                assertEquals(2, registry.blobRequests().stream()
                        .filter(r -> r.getHeaders().get("Authorization") != null).count());
            }
        }
    }

    @Test
    void expiredTokenIsRefreshedOnceAndReused() throws IOException {
        registry.requireToken();
        RegistryBlobSource source = blob();
        assertArrayEquals(registry.slice(0, 100), source.read(0, 100));
        assertEquals(1, registry.tokensIssued());
        assertArrayEquals(registry.slice(100, 100), source.read(100, 100));
        assertEquals(1, registry.tokensIssued(), "a valid token is reused");
        registry.expireTokens();
        assertArrayEquals(registry.slice(200, 100), source.read(200, 100));
        assertEquals(2, registry.tokensIssued());
        // first contact (401, then with token-1), a reuse, the expired token (401, then with token-2)
        assertEquals(List.of("none", "Bearer token-1", "Bearer token-1", "Bearer token-1", "Bearer token-2"),
                registry.blobRequests().stream()
                        .map(r -> r.getHeaders().get("Authorization") == null ? "none"
                                : r.getHeaders().get("Authorization")).toList());
    }

    @Test
    void secretsNeverAppearInErrors() throws IOException {
        registry.requireToken();
        RegistryConfig config = fastRetries().maxRetries(0).build();
        try (RegistryClient c = RegistryClient.create(config, store(Credentials.basic("bob", "hunter2-secret")))) {
            registry.fault(r -> new MockResponse.Builder().code(401)
                    .setHeader("WWW-Authenticate", "Bearer realm=\"" + registry.server.url("/token") + "\"").build());
            registry.fault(r -> new MockResponse.Builder().code(401)
                    .setHeader("WWW-Authenticate", "Bearer realm=\"" + registry.server.url("/token") + "\"").build());
            registry.fault(r -> new MockResponse.Builder().code(401)
                    .setHeader("WWW-Authenticate", "Bearer realm=\"" + registry.server.url("/token") + "\"").build());
            UnauthorizedException e = assertThrows(UnauthorizedException.class,
                    () -> c.openBlob(registry.repository(), registry.digest, BLOB_SIZE).read(0, 10));
            String all = e.toString() + " " + List.of(e.getSuppressed());
            assertFalse(all.contains("hunter2-secret"), all);
            assertFalse(all.contains("token-"), all);
            assertTrue(all.contains("repository:test/repo:pull"), all);
        }
    }

    @Test
    void multiRangeFallsBackToSingleRangesWhenTheServerAnswersOnlyOne() throws IOException {
        // this server answers a multi-range request with the first range only
        registry.fault(r -> registry.partial(0, 99));
        List<ByteRange> ranges = List.of(new ByteRange(0, 100), new ByteRange(50_000, 100),
                new ByteRange(150_000, 100));
        List<byte[]> got = blob().readRanges(ranges);
        for (int i = 0; i < ranges.size(); i++) {
            assertArrayEquals(registry.slice(ranges.get(i).offset(), 100), got.get(i));
        }
        assertEquals(3, registry.blobRequests().size());
        // the client remembers: the next batch goes straight to single ranges
        blob().readRanges(ranges);
        assertTrue(registry.blobRequests().subList(3, 6).stream()
                .noneMatch(r -> r.getHeaders().get("Range").contains(",")));
    }

    @Test
    void multiRangeAnsweredWithTheWholeBlobIsPickedApart() throws IOException {
        List<ByteRange> ranges = List.of(new ByteRange(190_000, 100), new ByteRange(10, 5), new ByteRange(70_000, 9));
        List<byte[]> got = blob().readRanges(ranges);
        for (int i = 0; i < ranges.size(); i++) {
            assertArrayEquals(registry.slice(ranges.get(i).offset(), (int) ranges.get(i).length()), got.get(i));
        }
        assertEquals(1, registry.blobRequests().size());
        assertEquals("bytes=10-14,70000-70008,190000-190099",
                registry.blobRequests().get(0).getHeaders().get("Range"));
    }

    @Test
    void brokenMirrorIsSkippedForAWhile(@TempDir Path hostsDir) throws IOException {
        try (MockRegistry mirror = new MockRegistry(16)) {
            for (int i = 0; i < 5; i++) {
                mirror.fault(r -> status(503));
            }
            Path dir = hostsDir.resolve(registry.host().replace(":", "_") + "_");
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("hosts.toml"), "server = \"http://" + registry.host()
                    + "\"\n[host.\"http://" + mirror.host() + "\"]\n  capabilities = [\"pull\", \"resolve\"]\n");
            try (RegistryClient c = RegistryClient.create(fastRetries().hostsDir(hostsDir).build(),
                    CredentialStore.ANONYMOUS)) {
                RegistryBlobSource source = c.openBlob(registry.repository(), registry.digest, BLOB_SIZE);
                assertArrayEquals(registry.slice(0, 10), source.read(0, 10));
                assertEquals(1, mirror.requests.size());
                RegistryBlobSource other = c.openBlob(registry.repository(), registry.digest, BLOB_SIZE);
                assertArrayEquals(registry.slice(10, 10), other.read(10, 10));
                assertEquals(1, mirror.requests.size(), "a failing mirror is not asked on every request");
                assertEquals(2, registry.blobRequests().size());
            }
        }
    }

    @Test
    void aManifestThatDoesNotMatchItsDigestIsRejected() {
        String manifest = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":"
                + "{\"mediaType\":\"" + MediaTypes.OCI_CONFIG + "\",\"digest\":\"" + registry.digest
                + "\",\"size\":1},\"layers\":[]}";
        Digest claimed = Digest.sha256(new byte[] {9});
        registry.fault(r -> new MockResponse.Builder().code(200).setHeader("Content-Type", MediaTypes.OCI_MANIFEST)
                .setHeader("Docker-Content-Digest", claimed.toString()).body(manifest).build());
        DigestMismatchException e = assertThrows(DigestMismatchException.class,
                () -> client.resolve(ImageReference.parse(registry.host() + "/test/repo:v1")));
        assertTrue(e.getMessage().contains(claimed.toString()) && e.getMessage().contains("test/repo:v1"),
                e.getMessage());
        assertEquals(1, registry.requests.size(), "corrupt content is not asked for again");
    }

    @Test
    void aCorruptWholeBlobFailsAtTheEndInsteadOfEndingNormally() throws IOException {
        byte[] corrupt = registry.blob.clone();
        corrupt[BLOB_SIZE / 2] ^= 1;
        registry.fault(r -> new MockResponse.Builder().code(206)
                .setHeader("Content-Range", "bytes 0-" + (BLOB_SIZE - 1) + "/" + BLOB_SIZE)
                .body(new Buffer().write(corrupt)).build());
        try (InputStream in = client.fetchBlob(registry.repository(), registry.digest, BLOB_SIZE)) {
            DigestMismatchException e = assertThrows(DigestMismatchException.class, in::readAllBytes);
            assertTrue(e.getMessage().contains(registry.digest.toString()), e.getMessage());
        }
    }

    @Test
    void concurrentRequestsToOneHostAreLimited() throws Exception {
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger maxInFlight = new AtomicInteger();
        for (int i = 0; i < 12; i++) {
            registry.fault(r -> {
                maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                try {
                    // server latency, so that requests overlap
                    Thread.sleep(30);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                inFlight.decrementAndGet();
                return registry.correct(r);
            });
        }
        RegistryConfig config = fastRetries().maxConcurrentPerHost(2).build();
        try (RegistryClient c = RegistryClient.create(config, CredentialStore.ANONYMOUS)) {
            RegistryBlobSource source = c.openBlob(registry.repository(), registry.digest, BLOB_SIZE);
            ExecutorService pool = Executors.newFixedThreadPool(6);
            try {
                List<Future<byte[]>> reads = new ArrayList<>();
                for (int i = 0; i < 12; i++) {
                    int offset = i * 1000;
                    reads.add(pool.submit(() -> source.read(offset, 100)));
                }
                for (int i = 0; i < 12; i++) {
                    assertArrayEquals(registry.slice(i * 1000, 100), reads.get(i).get());
                }
            } finally {
                pool.shutdown();
            }
        }
        assertTrue(maxInFlight.get() <= 2, "at most 2 requests at once, saw " + maxInFlight.get());
    }

    private static CredentialStore store(Credentials credentials) {
        return new CredentialStore() {
            @Override
            public Credentials credentials(String registry, String reference) {
                return credentials;
            }

            @Override
            public String describe() {
                return "test credentials";
            }
        };
    }
}
