package io.jstargz.remote;

import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okio.Buffer;

/**
 * A registry double on MockWebServer, for the faults a real registry cannot produce on demand. It serves one blob
 * correctly (single ranges, suffix ranges, HEAD) and, optionally, demands Bearer tokens from its own {@code /token}
 * endpoint. Faults are queued: each answers one request (after the token check) instead of the correct response.
 */
final class MockRegistry implements AutoCloseable {

    static final String REPO = "test/repo";

    final MockWebServer server = new MockWebServer();
    final byte[] blob;
    final Digest digest;
    final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();
    private final Deque<Function<RecordedRequest, MockResponse>> faults = new ArrayDeque<>();
    private final Set<String> validTokens = new HashSet<>();
    private final AtomicInteger tokensIssued = new AtomicInteger();
    private volatile boolean requireToken;

    MockRegistry(int blobSize) throws IOException {
        blob = new byte[blobSize];
        new Random(42).nextBytes(blob);
        digest = Digest.sha256(blob);
        server.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                requests.add(request);
                return answer(request);
            }
        });
        server.start(InetAddress.getLoopbackAddress(), 0);
    }

    /** {@code 127.0.0.1:<port>}. */
    String host() {
        return "127.0.0.1:" + server.getPort();
    }

    ImageReference repository() {
        return ImageReference.parse(host() + "/" + REPO + ":latest");
    }

    String blobPath() {
        return "/v2/" + REPO + "/blobs/" + digest;
    }

    synchronized void fault(Function<RecordedRequest, MockResponse> fault) {
        faults.add(fault);
    }

    /** Demand Bearer tokens issued by {@code /token}. */
    void requireToken() {
        requireToken = true;
    }

    /** Forget all issued tokens, as if they expired. */
    synchronized void expireTokens() {
        validTokens.clear();
    }

    int tokensIssued() {
        return tokensIssued.get();
    }

    List<RecordedRequest> blobRequests() {
        return requests.stream().filter(r -> r.getUrl().encodedPath().equals(blobPath())).toList();
    }

    private MockResponse answer(RecordedRequest request) {
        String path = request.getUrl().encodedPath();
        Function<RecordedRequest, MockResponse> fault;
        synchronized (this) {
            if (path.equals("/token")) {
                String token = "token-" + tokensIssued.incrementAndGet();
                validTokens.add(token);
                return new MockResponse.Builder().code(200)
                        .body("{\"token\":\"" + token + "\",\"expires_in\":300}").build();
            }
            if (requireToken) {
                String auth = request.getHeaders().get("Authorization");
                if (auth == null || !validTokens.contains(auth.replace("Bearer ", ""))) {
                    return new MockResponse.Builder().code(401)
                            .setHeader("WWW-Authenticate", "Bearer realm=\"" + server.url("/token")
                                    + "\",service=\"mock\",scope=\"repository:" + REPO + ":pull\"")
                            .body("{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\"}]}")
                            .build();
                }
            }
            fault = faults.poll();
        }
        // faults run outside the lock: requests are answered concurrently, as by a real server
        if (fault != null) {
            return fault.apply(request);
        }
        if (!path.equals(blobPath())) {
            return new MockResponse.Builder().code(404).build();
        }
        return correct(request);
    }

    /** The right answer to a blob request. */
    MockResponse correct(RecordedRequest request) {
        String range = request.getHeaders().get("Range");
        if (request.getMethod().equals("HEAD")) {
            return new MockResponse.Builder().code(200).setHeader("Content-Length", blob.length).build();
        }
        if (range == null || range.contains(",")) {
            return new MockResponse.Builder().code(200).body(new Buffer().write(blob)).build();
        }
        String spec = range.substring("bytes=".length());
        long first;
        long last;
        if (spec.startsWith("-")) {
            first = Math.max(0, blob.length - Long.parseLong(spec.substring(1)));
            last = blob.length - 1;
        } else {
            first = Long.parseLong(spec.substring(0, spec.indexOf('-')));
            last = Math.min(blob.length - 1, Long.parseLong(spec.substring(spec.indexOf('-') + 1)));
        }
        return partial(first, last);
    }

    /** A 206 with bytes {@code first..last} (inclusive) and a matching Content-Range. */
    MockResponse partial(long first, long last) {
        return new MockResponse.Builder().code(206)
                .setHeader("Content-Range", "bytes " + first + "-" + last + "/" + blob.length)
                .body(new Buffer().write(Arrays.copyOfRange(blob, (int) first, (int) last + 1)))
                .build();
    }

    byte[] slice(long offset, int length) {
        return Arrays.copyOfRange(blob, (int) offset, (int) offset + length);
    }

    @Override
    public void close() {
        server.close();
    }
}
