package io.jstargz.remote;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import okhttp3.Interceptor;
import okhttp3.MediaType;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.BufferedSource;

/**
 * The limit on concurrent requests to one registry host ({@link RegistryConfig#maxConcurrentPerHost()}), as an
 * application interceptor. okhttp's own per-host limit ({@code Dispatcher.setMaxRequestsPerHost}) only holds back
 * asynchronous calls, and every call here is synchronous, so this is the limit: a call takes a slot before it is sent
 * and gives it back when its response body is closed, since a streamed body (a prefetch) keeps the host busy until
 * then. A call waits for a slot at most {@link RegistryConfig#requestTimeout()}.
 */
final class HostLimit implements Interceptor {
    private final int slots;
    private final long waitMillis;
    private final Map<String, Semaphore> permits = new ConcurrentHashMap<>();

    HostLimit(RegistryConfig config) {
        this.slots = config.maxConcurrentPerHost();
        this.waitMillis = config.requestTimeout().toMillis();
    }

    @Override
    public Response intercept(Chain chain) throws IOException {
        RegistryCall call = chain.request().tag(RegistryCall.class);
        if (call == null) {
            return chain.proceed(chain.request()); // a token request: not a registry host's request
        }
        String authority = call.host().authority();
        Semaphore permit = acquire(authority);
        try {
            Response response = chain.proceed(chain.request());
            return response.newBuilder().body(new Releasing(response.body(), permit)).build();
        } catch (IOException | RuntimeException e) {
            permit.release();
            throw e;
        }
    }

    private Semaphore acquire(String authority) throws IOException {
        Semaphore s = permits.computeIfAbsent(authority, a -> new Semaphore(slots, true));
        try {
            if (!s.tryAcquire(waitMillis, TimeUnit.MILLISECONDS)) {
                throw new InterruptedIOException("no free request slot for " + authority + " within "
                        + TimeUnit.MILLISECONDS.toSeconds(waitMillis) + " s (limit " + slots + ")");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for a request slot for " + authority);
        }
        return s;
    }

    /** A response body that gives the host's slot back when it is closed (closing the response closes it), once. */
    private static final class Releasing extends ResponseBody {
        private final ResponseBody body;
        private final Semaphore permit;
        private final AtomicBoolean released = new AtomicBoolean();

        Releasing(ResponseBody body, Semaphore permit) {
            this.body = body;
            this.permit = permit;
        }

        @Override
        public MediaType contentType() {
            return body.contentType();
        }

        @Override
        public long contentLength() {
            return body.contentLength();
        }

        @Override
        public BufferedSource source() {
            return body.source();
        }

        @Override
        public void close() {
            try {
                body.close();
            } finally {
                release();
            }
        }

        private void release() {
            if (released.compareAndSet(false, true)) {
                permit.release();
            }
        }
    }
}
