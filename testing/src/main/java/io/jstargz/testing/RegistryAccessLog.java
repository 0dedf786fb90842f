package io.jstargz.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

/**
 * The requests a {@link RegistryServer} answered, parsed from its JSON log ({@code "response completed"} lines, and
 * {@code "error authorizing context"} lines for the 401 challenges): what the server saw, to check what a client
 * really sent (request counts, bytes written).
 */
public final class RegistryAccessLog {

    /** One answered request. {@code bytesWritten} is the response body size the registry wrote. */
    public record Entry(String method, String uri, int status, long bytesWritten) {

        public boolean isBlobGet() {
            return method.equals("GET") && uri.contains("/blobs/sha256:");
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private final List<Entry> entries = new ArrayList<>();

    RegistryAccessLog() {
    }

    synchronized void accept(String line) {
        if (!line.startsWith("{")) {
            return;
        }
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (IOException e) {
            return;
        }
        String msg = node.path("msg").asText();
        String method = node.path("http.request.method").asText();
        String uri = node.path("http.request.uri").asText();
        if (msg.startsWith("response completed")) {
            entries.add(new Entry(method, uri, node.path("http.response.status").asInt(),
                    node.path("http.response.written").asLong()));
        } else if (msg.startsWith("error authorizing context")) {
            // the registry answers 401 with a challenge and logs no "response completed" for it
            entries.add(new Entry(method, uri, 401, 0));
        } else {
            return;
        }
        notifyAll();
    }

    /** A snapshot of all entries so far, in the order the registry logged them. */
    public synchronized List<Entry> entries() {
        return List.copyOf(entries);
    }

    /** The number of entries so far: pass it to {@link #since(int)} to see what happened after. */
    public synchronized int mark() {
        return entries.size();
    }

    /** Entries logged after {@code mark}, without sync markers. */
    public synchronized List<Entry> since(int mark) {
        List<Entry> out = new ArrayList<>();
        for (Entry e : entries.subList(mark, entries.size())) {
            if (!e.uri().startsWith("/v2/jstargz-sync/")) {
                out.add(e);
            }
        }
        return out;
    }

    /** Entries after {@code mark} that match. */
    public List<Entry> since(int mark, Predicate<Entry> filter) {
        return since(mark).stream().filter(filter).toList();
    }

    synchronized void awaitUri(String uri, Duration timeout) throws IOException {
        awaitUntil(() -> entries.stream().anyMatch(e -> e.uri().equals(uri)), timeout, "a request for " + uri);
    }

    /**
     * Entries logged after {@code mark}, once there are at least {@code count}: the registry logs a request when it
     * has answered it, and two requests answered one after the other may be logged the other way round, so a client
     * that knows how many requests it made waits for them.
     */
    public synchronized List<Entry> awaitSince(int mark, int count, Duration timeout) throws IOException {
        awaitUntil(() -> since(mark).size() >= count, timeout, count + " requests after mark " + mark);
        return since(mark);
    }

    private synchronized void awaitUntil(BooleanSupplier done, Duration timeout, String what) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new IOException("registry did not log " + what + " within " + timeout);
            }
            try {
                wait(Math.max(1, left / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for the registry log", e);
            }
        }
    }
}
