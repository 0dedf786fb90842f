package io.jstargz.remote;

import io.jstargz.remote.hosts.RegistryHost;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import okhttp3.Headers;
import okhttp3.HttpUrl;
import okhttp3.Request;
import okhttp3.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where one blob is read from: its repository's hosts (mirrors, then the registry), preferring the host that served
 * it last, and the blob storage URL the registry redirected to, reused until it stops working (pre-signed URLs
 * expire) and then resolved again through the registry.
 */
final class BlobLocator {

    /** Reads what it needs from a successful response; the response is closed afterwards. */
    @FunctionalInterface
    interface ResponseReader<T> {
        T read(Response response) throws IOException;
    }

    private record Redirect(RegistryHost host, HttpUrl url) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(BlobLocator.class);

    private final HttpTransport transport;
    private final HostFallback fallback;
    private final List<RegistryHost> hosts;
    private final ImageReference repository;
    private final Digest digest;
    private final Access access;
    private volatile RegistryHost preferred;
    private volatile Redirect redirect;

    BlobLocator(HttpTransport transport, HostFallback fallback, List<RegistryHost> hosts, ImageReference repository,
                Digest digest) {
        this.transport = transport;
        this.fallback = fallback;
        this.hosts = List.copyOf(hosts);
        this.repository = repository;
        this.digest = digest;
        this.access = Access.pull(repository);
    }

    Digest digest() {
        return digest;
    }

    ImageReference repository() {
        return repository;
    }

    /** Names the blob in messages. */
    String describe() {
        return "blob " + digest + " of " + repository.repositoryName();
    }

    /** Sends {@code method} with {@code headers}, retrying and falling back, and reads the response. */
    <T> T read(String method, Headers headers, String what, ResponseReader<T> reader) throws IOException {
        return read(method, headers, what, ReadDeadline.NONE, reader);
    }

    /** Sends and reads as {@link #read(String, Headers, String, ResponseReader)} does, all by {@code deadline}. */
    <T> T read(String method, Headers headers, String what, ReadDeadline deadline, ResponseReader<T> reader)
            throws IOException {
        return fallback.run(order(), what, deadline, host -> {
            try (Response ex = open(host, method, headers, deadline.attemptTimeout(transport.config().requestTimeout()),
                    what)) {
                return reader.read(ex);
            }
        });
    }

    /**
     * Sends a GET with {@code headers} and returns the open response (2xx), for the caller to stream; retries and
     * fallback cover getting the response, not reading its body.
     */
    Response openStream(Headers headers, String what) throws IOException {
        return fallback.run(order(), what, host -> open(host, "GET", headers, null, what));
    }

    private List<RegistryHost> order() {
        RegistryHost p = preferred;
        if (p == null || hosts.get(0).equals(p)) {
            return hosts;
        }
        List<RegistryHost> order = new ArrayList<>(hosts.size());
        order.add(p);
        for (RegistryHost h : hosts) {
            if (!h.equals(p)) {
                order.add(h);
            }
        }
        return order;
    }

    /** @param callTimeout bounds the call until the response is closed; null when the caller streams the body */
    private Response open(RegistryHost host, String method, Headers headers, Duration callTimeout, String what)
            throws IOException {
        Redirect r = redirect;
        if (r != null && r.host.equals(host)) {
            try {
                Response ex = transport.send(host, access, request(r.url, method, headers), callTimeout);
                if (isSuccess(ex.code()) || ex.code() == 416) {
                    return checked(ex, host, what);
                }
                ex.close();
                // a pre-signed storage URL expires; the registry hands out a fresh one
                LOG.debug("{}: storage URL {} answered {}, resolving it again through {}", describe(),
                        HttpTransport.redact(r.url), ex.code(), host);
            } catch (Retrier.PastEndOfBlobException e) {
                throw e;
            } catch (IOException e) {
                LOG.debug("{}: storage URL {} failed ({}), resolving it again through {}", describe(),
                        HttpTransport.redact(r.url), e.toString(), host);
            }
            redirect = null;
        }
        HttpUrl url = HttpUrl.get(host.baseUrl() + "/" + repository.repository() + "/blobs/" + digest);
        Response ex = transport.send(host, access, request(url, method, headers), callTimeout);
        HttpUrl answered = ex.request().url();
        if (isSuccess(ex.code()) && !(answered.host().equals(url.host()) && answered.port() == url.port())) {
            redirect = new Redirect(host, answered);
        }
        return checked(ex, host, what);
    }

    private Response checked(Response ex, RegistryHost host, String what) throws IOException {
        if (isSuccess(ex.code())) {
            preferred = host;
            return ex;
        }
        try (ex) {
            if (ex.code() == 416) {
                ContentRange cr = ContentRange.parse(ex.header("Content-Range"));
                throw new Retrier.PastEndOfBlobException(what + ": range not satisfiable for " + describe()
                        + (cr != null && cr.total() >= 0 ? " of " + cr.total() + " bytes" : ""));
            }
            if (ex.code() == 404) {
                throw new NotFoundException(describe() + " not found on " + host);
            }
            throw HttpTransport.failure(ex, what);
        }
    }

    private static boolean isSuccess(int code) {
        return code == 200 || code == 206;
    }

    private static Request request(HttpUrl url, String method, Headers headers) {
        return new Request.Builder().url(url).headers(headers).method(method, null).build();
    }
}
