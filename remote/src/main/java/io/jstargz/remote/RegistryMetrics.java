package io.jstargz.remote;

import io.jstargz.metrics.LatencyHistogram;
import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import okhttp3.Call;
import okhttp3.EventListener;
import okhttp3.HttpUrl;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Counters of the client's traffic per host ({@code host:port}), for status and metrics: requests sent, response
 * body bytes received, request body bytes sent, failed requests and retries; and how long registries took to answer,
 * all hosts together.
 */
public final class RegistryMetrics {

    /** The counters of one host at one moment. */
    public record HostStats(long requests, long bytesReceived, long bytesSent, long failures, long retries) {

        HostStats plus(HostStats o) {
            return new HostStats(requests + o.requests, bytesReceived + o.bytesReceived, bytesSent + o.bytesSent,
                    failures + o.failures, retries + o.retries);
        }
    }

    private static final class Counters {
        final LongAdder requests = new LongAdder();
        final LongAdder bytesReceived = new LongAdder();
        final LongAdder bytesSent = new LongAdder();
        final LongAdder failures = new LongAdder();
        final LongAdder retries = new LongAdder();

        HostStats snapshot() {
            return new HostStats(requests.sum(), bytesReceived.sum(), bytesSent.sum(), failures.sum(), retries.sum());
        }
    }

    private final Map<String, Counters> hosts = new ConcurrentHashMap<>();
    private final LatencyHistogram latency = new LatencyHistogram();

    RegistryMetrics() {
    }

    /** Counters per host, sorted by host. */
    public Map<String, HostStats> snapshot() {
        Map<String, HostStats> out = new TreeMap<>();
        hosts.forEach((host, c) -> out.put(host, c.snapshot()));
        return out;
    }

    /** The sum over all hosts. */
    public HostStats total() {
        HostStats sum = new HostStats(0, 0, 0, 0, 0);
        for (Counters c : hosts.values()) {
            sum = sum.plus(c.snapshot());
        }
        return sum;
    }

    void retried(String hostPort) {
        hosts.computeIfAbsent(hostPort, h -> new Counters()).retries.increment();
    }

    private Counters counters(HttpUrl url) {
        return hosts.computeIfAbsent(url.host() + ":" + url.port(), h -> new Counters());
    }

    /**
     * How long registries took to answer: from a request's headers going out to its response's headers coming back
     * (the body is read at the reader's pace, so it is left out); a request that failed before an answer counts up
     * to its failure.
     */
    public LatencyHistogram.Snapshot requestLatency() {
        return latency.snapshot();
    }

    /** Feeds the counters from okhttp's events: every request on the wire, every body byte, each answer's time. */
    EventListener.Factory listeners() {
        return call -> new EventListener() {
            private long sentAt = -1;

            @Override
            public void requestHeadersStart(Call call) {
                sentAt = System.nanoTime();
            }

            @Override
            public void requestHeadersEnd(Call call, Request request) {
                counters(request.url()).requests.increment();
            }

            @Override
            public void requestBodyEnd(Call call, long byteCount) {
                counters(call.request().url()).bytesSent.add(byteCount);
            }

            @Override
            public void responseHeadersEnd(Call call, Response response) {
                answered();
            }

            @Override
            public void responseBodyEnd(Call call, long byteCount) {
                counters(call.request().url()).bytesReceived.add(byteCount);
            }

            @Override
            public void callFailed(Call call, IOException ioe) {
                counters(call.request().url()).failures.increment();
                answered();
            }

            private void answered() {
                if (sentAt >= 0) {
                    latency.record(sentAt);
                    sentAt = -1;
                }
            }
        };
    }
}
