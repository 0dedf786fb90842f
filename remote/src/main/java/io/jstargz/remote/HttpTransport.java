package io.jstargz.remote;

import com.fasterxml.jackson.databind.JsonNode;
import io.jstargz.remote.hosts.RegistryHost;
import java.io.Closeable;
import java.io.IOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.ConnectionPool;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okio.Buffer;
import okio.BufferedSource;

/**
 * The HTTP layer, in okhttp's grain: one shared client (one connection pool; HTTP/2 over TLS) and per-host TLS
 * variants that share it, with each concern in its own hook:
 * <ul>
 *   <li>{@link HostLimit}, an application interceptor: the limit on concurrent requests per registry host;</li>
 *   <li>{@link RegistryHeaders}, a network interceptor: hosts.toml headers and authorization, on requests to the
 *       registry host only, never on the blob storage it redirects to;</li>
 *   <li>{@link RegistryAuthenticator}: a 401 answered once with fresh credentials;</li>
 *   <li>okhttp itself follows redirects; {@link RegistryMetrics} counts what goes on the wire.</li>
 * </ul>
 * A host's TLS settings apply to its client, and so to the redirects that client follows, as in containerd.
 */
final class HttpTransport implements Closeable {

    private static final int MAX_ERROR_BODY = 4096;

    private final RegistryConfig config;
    private final Authorizer authorizer;
    private final OkHttpClient base;
    private final Map<String, OkHttpClient> tlsClients = new ConcurrentHashMap<>();
    private final Set<String> multiRangeUnsupported = ConcurrentHashMap.newKeySet();
    private final Set<String> warnedOnce = ConcurrentHashMap.newKeySet();

    HttpTransport(RegistryConfig config, Authorizer authorizer, RegistryMetrics metrics) {
        this.config = config;
        this.authorizer = authorizer;
        this.base = new OkHttpClient.Builder()
                .connectionPool(new ConnectionPool(Math.max(5, config.maxConcurrentPerHost()), 5, TimeUnit.MINUTES))
                .connectTimeout(config.connectTimeout())
                .readTimeout(config.readTimeout())
                .writeTimeout(config.readTimeout())
                .addInterceptor(new HostLimit(config))
                .addNetworkInterceptor(new RegistryHeaders(authorizer, config.userAgent()))
                .authenticator(new RegistryAuthenticator(authorizer))
                .eventListenerFactory(metrics.listeners())
                .build();
    }

    RegistryConfig config() {
        return config;
    }

    /** The client for {@code host}: the shared one, or a variant with the host's TLS settings. */
    private OkHttpClient client(RegistryHost host) throws IOException {
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
     * Sends {@code request} for {@code access} through {@code host}'s client: to the host itself, or to a URL it
     * handed out (blob storage, an upload location), which gets no credentials. Redirects are followed and a 401 is
     * answered once with fresh credentials. The caller closes the response (that frees the host's request slot).
     *
     * @param buffered whether the caller reads the body into memory (then the request timeout covers it)
     * @throws UnauthorizedException when the host still answers 401
     */
    Response send(RegistryHost host, Access access, Request request, boolean buffered) throws IOException {
        return send(host, access, request, buffered ? config.requestTimeout() : null);
    }

    /**
     * Sends {@code request} as {@link #send(RegistryHost, Access, Request, boolean)} does, bounded by
     * {@code callTimeout} (null for none) from the request until the response is closed; when it passes, okhttp
     * cancels the call and closes its connection, which is never reused.
     */
    Response send(RegistryHost host, Access access, Request request, Duration callTimeout) throws IOException {
        OkHttpClient client = client(host);
        Call call = client.newCall(request.newBuilder().tag(RegistryCall.class,
                new RegistryCall(host, access, client)).build());
        if (callTimeout != null) {
            call.timeout().timeout(callTimeout.toNanos(), TimeUnit.NANOSECONDS);
        }
        Response response;
        try {
            response = call.execute();
        } catch (ConnectException | UnknownHostException e) {
            throw unreachable(host, request, e);
        }
        if (response.code() == 401) {
            try (response) {
                String sent = response.networkResponse() == null ? null
                        : response.networkResponse().request().header("Authorization");
                throw authorizer.refused(host, access, sent, errorSummary(response));
            }
        }
        return response;
    }

    /**
     * okhttp says only "Failed to connect to localhost/127.0.0.1:1": the same failure, of the same type (the retry
     * policy tells them apart by type), naming the registry and the request it was for.
     */
    private static IOException unreachable(RegistryHost host, Request request, IOException e) {
        String message = "cannot reach registry " + host.registry() + " for " + request.method() + " "
                + redact(request.url()) + ": " + e.getMessage();
        IOException named = e instanceof UnknownHostException ? new UnknownHostException(message)
                : new ConnectException(message);
        named.initCause(e);
        return named;
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
