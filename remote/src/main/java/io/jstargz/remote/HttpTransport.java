package io.jstargz.remote;

import com.fasterxml.jackson.databind.JsonNode;
import io.jstargz.remote.auth.CredentialStore;
import io.jstargz.remote.hosts.RegistryHost;
import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.ConnectionPool;
import okhttp3.Dispatcher;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okio.Buffer;
import okio.BufferedSource;

/**
 * The HTTP layer: one shared okhttp client (one connection pool; HTTP/2 over TLS), per-host TLS variants that
 * share it, a limit on concurrent requests per host, authorization, and redirects followed by hand so that
 * credentials and configured headers go to the registry host only, never to the blob storage it redirects to.
 */
final class HttpTransport implements Closeable {

    private static final int MAX_REDIRECTS = 5;
    private static final int MAX_ERROR_BODY = 4096;

    private final RegistryConfig config;
    private final OkHttpClient base;
    private final Map<String, OkHttpClient> tlsClients = new ConcurrentHashMap<>();
    private final Map<String, Semaphore> permits = new ConcurrentHashMap<>();
    private final Set<String> multiRangeUnsupported = ConcurrentHashMap.newKeySet();
    private final Set<String> warnedOnce = ConcurrentHashMap.newKeySet();
    private final Authorizer authorizer;
    private final RegistryMetrics metrics = new RegistryMetrics();
    private final Retrier retrier;

    HttpTransport(RegistryConfig config, CredentialStore credentials) {
        this.config = config;
        Dispatcher dispatcher = new Dispatcher();
        dispatcher.setMaxRequestsPerHost(config.maxConcurrentPerHost());
        this.base = new OkHttpClient.Builder()
                .connectionPool(new ConnectionPool(Math.max(5, config.maxConcurrentPerHost()), 5, TimeUnit.MINUTES))
                .dispatcher(dispatcher)
                .connectTimeout(config.connectTimeout())
                .readTimeout(config.readTimeout())
                .writeTimeout(config.readTimeout())
                .followRedirects(false)
                .followSslRedirects(false)
                .eventListener(metrics.listener())
                .build();
        this.retrier = new Retrier(config);
        this.authorizer = new Authorizer(credentials, new TokenFetcher(retrier, config), config);
    }

    RegistryConfig config() {
        return config;
    }

    RegistryMetrics metrics() {
        return metrics;
    }

    Retrier retrier() {
        return retrier;
    }

    /** The client for {@code host}: the shared one, or a variant with the host's TLS settings. */
    OkHttpClient client(RegistryHost host) throws IOException {
        if (!host.hasCustomTls() || !host.scheme().equals("https")) {
            return base;
        }
        String key = host.caCertificates() + "|" + host.clientCertificates() + "|" + host.skipVerify();
        OkHttpClient c = tlsClients.get(key);
        if (c == null) {
            c = TlsContexts.configure(base, host);
            OkHttpClient raced = tlsClients.putIfAbsent(key, c);
            c = raced != null ? raced : c;
        }
        return c;
    }

    /**
     * Sends {@code request} (addressed to {@code host}) with the host's headers and an authorization for
     * {@code access}; a 401 is answered once with fresh authorization; redirects are followed. The caller closes
     * the exchange. Any status may come back except 401.
     *
     * @param buffered whether the caller reads the body into memory (then the request timeout covers it)
     */
    Exchange send(RegistryHost host, Access access, Request request, boolean buffered) throws IOException {
        Semaphore permit = acquire(host.authority());
        try {
            OkHttpClient client = client(host);
            Response response;
            try {
                String auth = authorizer.authorization(host, client, access);
                response = execute(client, forHost(request, host, auth), buffered);
                if (response.code() == 401) {
                    var challenges = response.challenges();
                    response.close();
                    auth = authorizer.reauthorize(host, client, access, challenges, auth);
                    response = execute(client, forHost(request, host, auth), buffered);
                    if (response.code() == 401) {
                        String detail = errorSummary(response);
                        response.close();
                        throw authorizer.refused(host, access, auth, detail);
                    }
                }
            } finally {
                authorizer.contacted(host);
            }
            return new Exchange(followRedirects(client, host, response, buffered), permit);
        } catch (IOException | RuntimeException e) {
            permit.release();
            throw e;
        }
    }

    /** Sends {@code request} to a URL outside the registry (a redirect target seen before): no credentials. */
    Exchange sendDirect(RegistryHost origin, Request request, boolean buffered) throws IOException {
        Semaphore permit = acquire(origin.authority());
        try {
            Request withAgent = request.newBuilder().header("User-Agent", config.userAgent()).build();
            return new Exchange(followRedirects(base, origin, execute(base, withAgent, buffered), buffered), permit);
        } catch (IOException | RuntimeException e) {
            permit.release();
            throw e;
        }
    }

    private Response followRedirects(OkHttpClient hostClient, RegistryHost host, Response response,
                                     boolean buffered) throws IOException {
        for (int i = 0; isRedirect(response.code()); i++) {
            String location = response.header("Location");
            HttpUrl from = response.request().url();
            if (location == null) {
                return response;
            }
            HttpUrl next = from.resolve(location);
            response.close();
            if (next == null || i == MAX_REDIRECTS) {
                throw new RegistryException((next == null ? "invalid redirect" : "too many redirects") + " from "
                        + redact(from));
            }
            boolean sameHost = next.scheme().equals(host.scheme())
                    && (next.host() + ":" + next.port()).equals(hostPort(host));
            Request.Builder b = response.request().newBuilder().url(next);
            if (!sameHost) {
                b.removeHeader("Authorization");
                host.headers().keySet().forEach(b::removeHeader);
            }
            if (response.code() == 303) {
                b.get();
            }
            response = execute(sameHost ? hostClient : base, b.build(), buffered);
        }
        return response;
    }

    private static boolean isRedirect(int code) {
        return code == 301 || code == 302 || code == 303 || code == 307 || code == 308;
    }

    static String hostPort(RegistryHost host) {
        HttpUrl u = HttpUrl.parse(host.scheme() + "://" + host.authority() + "/");
        return u == null ? host.authority() : u.host() + ":" + u.port();
    }

    private Request forHost(Request request, RegistryHost host, String authorization) {
        Request.Builder b = request.newBuilder().header("User-Agent", config.userAgent());
        host.headers().forEach((name, values) -> {
            b.removeHeader(name);
            values.forEach(v -> b.addHeader(name, v));
        });
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return b.build();
    }

    private Response execute(OkHttpClient client, Request request, boolean buffered) throws IOException {
        Call call = client.newCall(request);
        if (buffered) {
            call.timeout().timeout(config.requestTimeout().toMillis(), TimeUnit.MILLISECONDS);
        }
        return call.execute();
    }

    private Semaphore acquire(String authority) throws IOException {
        Semaphore s = permits.computeIfAbsent(authority, a -> new Semaphore(config.maxConcurrentPerHost(), true));
        try {
            if (!s.tryAcquire(config.requestTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                throw new InterruptedIOException("no free request slot for " + authority + " within "
                        + config.requestTimeout().toSeconds() + " s (limit " + config.maxConcurrentPerHost() + ")");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for a request slot for " + authority);
        }
        return s;
    }

    void retried(RegistryHost host) {
        metrics.retried(hostPort(host));
    }

    /** Whether {@code registry}'s blobs may be read with multi-range requests (not yet seen to fail). */
    boolean multiRangeAllowed(String registry) {
        return !multiRangeUnsupported.contains(registry);
    }

    void multiRangeUnsupported(String registry) {
        multiRangeUnsupported.add(registry);
    }

    /** Whether this is the first time {@code event} happened: for conditions worth one log line, not one per request. */
    boolean firstTime(String event) {
        return warnedOnce.add(event);
    }

    @Override
    public void close() {
        base.dispatcher().cancelAll();
        base.connectionPool().evictAll();
    }

    /** {@code url} without its query, which may hold a signature (pre-signed blob storage URLs). */
    static String redact(HttpUrl url) {
        return url.newBuilder().query(null).fragment(null).build().toString();
    }

    /** The error for an unexpected status: 404 → not found, 401/403 → unauthorized, 5xx/429/408 retryable. */
    static RegistryException failure(Response response, String what) {
        int code = response.code();
        String message = what + ": " + response.request().method() + " " + redact(response.request().url())
                + " answered " + code + errorSummary(response);
        if (code == 404) {
            return new NotFoundException(message);
        }
        if (code == 401 || code == 403) {
            return new UnauthorizedException(message, code);
        }
        boolean retryable = code >= 500 || code == 429 || code == 408;
        return new RegistryException(message, code, retryable, retryable ? retryAfter(response) : null);
    }

    /** The registry's error codes and messages ({@code errors[].code/message}) from a failed response. */
    private static String errorSummary(Response response) {
        try {
            BufferedSource source = response.body().source();
            source.request(MAX_ERROR_BODY);
            Buffer buffer = source.getBuffer();
            String text = buffer.snapshot((int) Math.min(MAX_ERROR_BODY, buffer.size())).utf8();
            JsonNode errors = ManifestContent.JSON.readTree(text).path("errors");
            StringBuilder s = new StringBuilder();
            for (JsonNode e : errors) {
                s.append(s.length() == 0 ? " (" : "; ").append(e.path("code").asText()).append(": ")
                        .append(e.path("message").asText());
            }
            return s.length() == 0 ? "" : s.append(')').toString();
        } catch (IOException | RuntimeException notJson) {
            return "";
        }
    }

    static Duration retryAfter(Response response) {
        String value = response.header("Retry-After");
        if (value == null) {
            return null;
        }
        try {
            return Duration.ofSeconds(Math.max(0, Long.parseLong(value.trim())));
        } catch (NumberFormatException notSeconds) {
            try {
                Instant at = ZonedDateTime.parse(value.trim(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
                Duration d = Duration.between(Instant.now(), at);
                return d.isNegative() ? Duration.ZERO : d;
            } catch (DateTimeParseException notADate) {
                return null;
            }
        }
    }

    /** Reads a whole body that must not exceed {@code max} bytes. */
    static byte[] readBounded(Response response, long max, String what) throws IOException {
        long declared = response.body().contentLength();
        if (declared > max) {
            throw new RegistryException(what + ": response of " + declared + " bytes exceeds the limit of " + max);
        }
        BufferedSource source = response.body().source();
        if (source.request(max + 1)) {
            throw new RegistryException(what + ": response exceeds the limit of " + max + " bytes");
        }
        return source.readByteArray();
    }
}
