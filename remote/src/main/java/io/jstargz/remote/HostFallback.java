package io.jstargz.remote;

import io.jstargz.remote.hosts.RegistryHost;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.HttpUrl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs an operation on a registry's hosts in order: mirrors first, the registry's own server last. A mirror gets one
 * attempt; when it fails it is skipped for {@link RegistryConfig#mirrorFailureBackoff()} rather than tried again on
 * every request (it is still tried last, before giving up). The server gets the full retry budget.
 */
final class HostFallback {

    /** One operation on one host. */
    @FunctionalInterface
    interface HostCall<T> {
        T call(RegistryHost host) throws IOException;
    }

    private static final Logger LOG = LoggerFactory.getLogger(HostFallback.class);

    private final RegistryConfig config;
    private final Retrier retrier;
    private final RegistryMetrics metrics;
    private final Map<String, Long> skipUntil = new ConcurrentHashMap<>();

    HostFallback(RegistryConfig config, Retrier retrier, RegistryMetrics metrics) {
        this.config = config;
        this.retrier = retrier;
        this.metrics = metrics;
    }

    /**
     * Runs {@code call} on the first host that succeeds.
     *
     * @param hosts the hosts in preference order (none empty)
     * @param what  names the operation in logs and errors
     */
    <T> T run(List<RegistryHost> hosts, String what, HostCall<T> call) throws IOException {
        return run(hosts, what, ReadDeadline.NONE, call);
    }

    /** Runs {@code call} as {@link #run(List, String, HostCall)} does, trying no host once {@code deadline} passed. */
    <T> T run(List<RegistryHost> hosts, String what, ReadDeadline deadline, HostCall<T> call) throws IOException {
        List<RegistryHost> order = order(hosts);
        List<IOException> failures = new ArrayList<>();
        IOException serverFailure = null;
        for (int i = 0; i < order.size() && (failures.isEmpty() || !deadline.passed()); i++) {
            RegistryHost host = order.get(i);
            AtomicInteger attempts = new AtomicInteger();
            try {
                int retries = host.mirror() ? 0 : config.maxRetries();
                T result = retrier.run(what + " from " + host, retries, deadline, () -> {
                    if (attempts.getAndIncrement() > 0) {
                        metrics.retried(hostPort(host));
                    }
                    return call.call(host);
                });
                if (host.mirror()) {
                    skipUntil.remove(key(host));
                }
                return result;
            } catch (Retrier.PastEndOfBlobException e) {
                throw e;
            } catch (IOException e) {
                failures.add(e);
                if (!host.mirror() && serverFailure == null) {
                    serverFailure = e;
                }
                boolean mirrorDown = host.mirror() && !(e instanceof NotFoundException)
                        && !(e instanceof UnauthorizedException);
                if (mirrorDown) {
                    skipUntil.put(key(host), System.nanoTime() + config.mirrorFailureBackoff().toNanos());
                }
                if (mirrorDown && i + 1 < order.size()) {
                    LOG.warn("{} failed for {}: {}; trying {}, skipping this mirror for {} s", host, what, e,
                            order.get(i + 1), config.mirrorFailureBackoff().toSeconds());
                }
            }
        }
        if (failures.isEmpty()) {
            throw new IllegalArgumentException("no hosts to " + what);
        }
        // the registry's own answer says most; the mirrors' failures ride along
        IOException thrown = serverFailure != null ? serverFailure : failures.get(failures.size() - 1);
        for (IOException f : failures) {
            if (f != thrown) {
                thrown.addSuppressed(f);
            }
        }
        throw thrown;
    }

    /** Healthy hosts in their configured order, then mirrors that failed recently. */
    private List<RegistryHost> order(List<RegistryHost> hosts) {
        List<RegistryHost> healthy = new ArrayList<>();
        List<RegistryHost> failing = new ArrayList<>();
        long now = System.nanoTime();
        for (RegistryHost h : hosts) {
            Long until = skipUntil.get(key(h));
            (until != null && until - now > 0 ? failing : healthy).add(h);
        }
        healthy.addAll(failing);
        return healthy;
    }

    private static String key(RegistryHost host) {
        return host.baseUrl();
    }

    /** The host as {@link RegistryMetrics} counts it, {@code host:port}. */
    private static String hostPort(RegistryHost host) {
        HttpUrl u = HttpUrl.get(host.baseUrl());
        return u.host() + ":" + u.port();
    }
}
