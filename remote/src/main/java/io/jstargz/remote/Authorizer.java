package io.jstargz.remote;

import io.jstargz.concurrent.Futures;
import io.jstargz.remote.TokenFetcher.BearerToken;
import io.jstargz.remote.auth.CredentialStore;
import io.jstargz.remote.auth.Credentials;
import io.jstargz.remote.hosts.RegistryHost;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import okhttp3.Challenge;
import okhttp3.OkHttpClient;

/**
 * Authorization headers for registry requests, behind okhttp's hooks: {@link RegistryHeaders} asks for the header of
 * each request to a registry host and tells what a 401 challenged, {@link RegistryAuthenticator} asks for better
 * credentials after a 401. It learns each host's challenge (Basic, or Bearer with realm and service) from the first
 * 401 and then authorizes requests up front, so a known host never sees an unauthenticated request again. While the
 * first request to a host is in flight, other requests to it wait for what it learns instead of all collecting a
 * 401.
 *
 * <p>Credentials are asked for per host and image reference ({@link Access#reference()}): two images of one
 * registry may come with different secrets (a CRI keychain records them per pull). Bearer tokens are cached per
 * realm, service, scopes and credential key until they expire; concurrent requests for the same scopes share one
 * token request, and since a scope names one repository, images of different repositories never share a token. A
 * token the registry rejects is replaced once. Basic headers are kept per host and reference, so credential helpers
 * do not run on every request, and built again when the credential store's {@link CredentialStore#revision} changes
 * (a docker config rewritten with a new password): the new password goes with the next request, not only after the
 * registry rejects the old one.
 */
final class Authorizer {

    /** What a host asked for: {@code Basic}, or {@code Bearer} with its realm and service. */
    private record HostChallenge(String scheme, String realm, String service) {
    }

    private static final class HostState {
        final CountDownLatch firstContact = new CountDownLatch(1);
        final AtomicBoolean probing = new AtomicBoolean();
        volatile HostChallenge challenge;
    }

    /** A Basic header, and the revision of the credential store it was built from. */
    private record BasicHeader(String header, Object revision) {
    }

    /** Basic headers built, by host and reference; bounded, the least recently used go first. */
    private static final int MAX_BASIC_HEADERS = 1024;

    private final CredentialStore credentials;
    private final TokenFetcher tokens;
    private final RegistryConfig config;
    private final Map<String, HostState> hosts = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<BearerToken>> tokenCache = new ConcurrentHashMap<>();
    private final Map<String, BasicHeader> basicHeaders = Collections.synchronizedMap(
            new LinkedHashMap<>(16, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, BasicHeader> eldest) {
                    return size() > MAX_BASIC_HEADERS;
                }
            });

    Authorizer(CredentialStore credentials, TokenFetcher tokens, RegistryConfig config) {
        this.credentials = credentials;
        this.tokens = tokens;
        this.config = config;
    }

    /**
     * The {@code Authorization} header for a request to {@code host} for {@code access}, or {@code null} to send it
     * without one (nothing known yet, or no credentials for a Basic host).
     */
    String authorization(RegistryHost host, OkHttpClient client, Access access) throws IOException {
        HostState state = hosts.computeIfAbsent(hostKey(host), k -> new HostState());
        if (state.firstContact.getCount() > 0 && !state.probing.compareAndSet(false, true)) {
            awaitFirstContact(state);
        }
        HostChallenge challenge = state.challenge;
        if (challenge == null) {
            return null;
        }
        if (challenge.scheme.equals("basic")) {
            return basicHeader(host, access);
        }
        return "Bearer " + token(host, client, challenge, access, access.scopes(), null).token();
    }

    /** Records that a request to {@code host} got an answer (or failed): requests waiting for it proceed. */
    void contacted(RegistryHost host) {
        HostState state = hosts.get(hostKey(host));
        if (state != null) {
            state.firstContact.countDown();
        }
    }

    /** Records what a 401 from {@code host} asked for, so that its next requests are authorized up front. */
    void learn(RegistryHost host, List<Challenge> challenges) {
        HostState state = hosts.computeIfAbsent(hostKey(host), k -> new HostState());
        Challenge bearer = find(challenges, "bearer");
        Challenge basic = find(challenges, "basic");
        if (bearer != null && bearer.authParams().get("realm") != null) {
            state.challenge = new HostChallenge("bearer", bearer.authParams().get("realm"),
                    bearer.authParams().get("service"));
        } else if (basic != null) {
            state.challenge = new HostChallenge("basic", basic.authParams().get("realm"), null);
        }
    }

    /**
     * Makes better credentials ready for a request that got a 401 with {@code challenges}: a fresh token, replacing
     * a rejected one, or the Basic header looked up again. The next {@link #authorization} returns them.
     *
     * @param rejected the header the 401 answered, or {@code null}
     * @throws UnauthorizedException when there is nothing better to send
     */
    void refresh(RegistryHost host, OkHttpClient client, Access access, List<Challenge> challenges, String rejected)
            throws IOException {
        learn(host, challenges);
        Challenge bearer = find(challenges, "bearer");
        Challenge basic = find(challenges, "basic");
        if (bearer != null && bearer.authParams().get("realm") != null) {
            TreeSet<String> wanted = new TreeSet<>(access.scopes());
            String challengeScope = bearer.authParams().get("scope");
            if (challengeScope != null && !challengeScope.isBlank()) {
                wanted.addAll(List.of(challengeScope.trim().split("\\s+")));
            }
            String rejectedToken = rejected != null && rejected.startsWith("Bearer ") ? rejected.substring(7) : null;
            token(host, client, hosts.get(hostKey(host)).challenge, access, List.copyOf(wanted), rejectedToken);
            return;
        }
        if (basic != null) {
            // looked up again: the credentials may have been rotated since the header was built
            Object revision = credentials.revision();
            Credentials creds = lookup(host, access);
            if (creds == null) {
                throw new UnauthorizedException(host + " requires a user name and password and "
                        + credentials.describe() + " has none for " + credentialKey(host) + " (image "
                        + access.reference() + ")", 401);
            }
            String header = basic(creds);
            if (header.equals(rejected)) {
                throw new UnauthorizedException(host + " rejected the credentials of " + creds.username()
                        + " from " + credentials.describe(), 401);
            }
            basicHeaders.put(basicKey(host, access), new BasicHeader(header, revision));
            return;
        }
        throw new UnauthorizedException(host + " answered 401 without a Basic or Bearer challenge", 401);
    }

    /**
     * The Basic header for a request, or null before a 401 asked for one: the one built before while the credential
     * store is unchanged, else built again from what the store holds now.
     */
    private String basicHeader(RegistryHost host, Access access) throws IOException {
        String key = basicKey(host, access);
        BasicHeader built = basicHeaders.get(key);
        if (built == null) {
            return null;
        }
        Object revision = credentials.revision();
        if (built.revision().equals(revision)) {
            return built.header();
        }
        Credentials creds = lookup(host, access);
        if (creds == null) {
            basicHeaders.remove(key);
            return null;
        }
        String header = basic(creds);
        basicHeaders.put(key, new BasicHeader(header, revision));
        return header;
    }

    /** The error for a request still refused after {@link #refresh}: what was sent, never the secret. */
    UnauthorizedException refused(RegistryHost host, Access access, String sentHeader, String detail)
            throws IOException {
        Credentials creds = lookup(host, access);
        String who = creds == null ? "anonymous access" : "the credentials of " + creds.username() + " from "
                + credentials.describe();
        if (sentHeader != null && sentHeader.startsWith("Basic ")) {
            return new UnauthorizedException(host + " rejected " + who + detail, 401);
        }
        return new UnauthorizedException(host + " refused a fresh token for " + access.scopes() + " (" + who + ")"
                + detail, 401);
    }

    /**
     * A valid token for {@code access}'s scopes, from the cache or fetched with {@code requestScopes}; credentials
     * are only looked up when a token is fetched (a credential helper is a process).
     */
    private BearerToken token(RegistryHost host, OkHttpClient client, HostChallenge challenge, Access access,
                              List<String> requestScopes, String rejectedToken) throws IOException {
        List<String> scopes = access.scopes();
        String key = challenge.realm + "|" + challenge.service + "|" + new TreeSet<>(scopes) + "|"
                + credentialKey(host);
        while (true) {
            CompletableFuture<BearerToken> existing = tokenCache.get(key);
            if (existing != null) {
                BearerToken t = existing.isDone() && !existing.isCompletedExceptionally() ? existing.join() : null;
                if (t != null && t.isValid() && !t.token().equals(rejectedToken)) {
                    return t;
                }
                if (t == null && !existing.isDone()) {
                    return Futures.get(existing, "a token for " + scopes);
                }
                tokenCache.remove(key, existing);
                continue;
            }
            CompletableFuture<BearerToken> mine = new CompletableFuture<>();
            if (tokenCache.putIfAbsent(key, mine) != null) {
                continue;
            }
            try {
                BearerToken t = tokens.fetch(client, challenge.realm, challenge.service, requestScopes,
                        lookup(host, access), host.registry());
                mine.complete(t);
                return t;
            } catch (IOException | RuntimeException e) {
                mine.completeExceptionally(e);
                tokenCache.remove(key, mine);
                throw e;
            }
        }
    }

    private void awaitFirstContact(HostState state) throws IOException {
        try {
            // bounded: if the first request hangs, the others go ahead on their own
            state.firstContact.await(config.requestTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the first answer of a host");
        }
    }

    private static Challenge find(List<Challenge> challenges, String scheme) {
        for (Challenge c : challenges) {
            if (c.scheme().toLowerCase(Locale.ROOT).equals(scheme)) {
                return c;
            }
        }
        return null;
    }

    private static String basic(Credentials creds) {
        return okhttp3.Credentials.basic(creds.username(), creds.secret() == null ? "" : creds.secret(),
                StandardCharsets.UTF_8);
    }

    private Credentials lookup(RegistryHost host, Access access) throws IOException {
        return credentials.credentials(credentialKey(host), access.reference());
    }

    private static String basicKey(RegistryHost host, Access access) {
        return hostKey(host) + "|" + access.reference();
    }

    private static String hostKey(RegistryHost host) {
        return host.scheme() + "://" + host.authority();
    }

    /** Credentials are filed under the registry's name for its own server, under the mirror's host for a mirror. */
    private static String credentialKey(RegistryHost host) {
        return host.mirror() ? host.authority() : host.registry();
    }
}
