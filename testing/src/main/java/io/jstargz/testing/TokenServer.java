package io.jstargz.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import okhttp3.tls.HeldCertificate;

/**
 * A token server for the Docker registry token auth flow, for tests: it answers {@code GET /token?service=…&scope=…}
 * (with Basic credentials, or anonymously) and {@code POST /token} (OAuth2 {@code password} and
 * {@code refresh_token} grants) with ES256-signed JWTs that {@code docker-registry}'s {@code auth.token} accepts
 * (the signing certificate travels in the {@code x5c} header and is the registry's root bundle).
 *
 * <p>Policy: a known user gets every action asked for, on the repositories it is limited to if it is
 * ({@link Builder#user(String, String, String...)}); an anonymous client gets {@code pull} when anonymous pull is
 * allowed and nothing else. Every request is recorded for assertions ({@link #requests()}).
 */
public final class TokenServer implements AutoCloseable {

    /** One token request as the server saw it: the account ({@code null} when anonymous), the scopes, the answer. */
    public record TokenRequest(String method, String account, List<String> scopes, int status) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SERVICE = "jstargz-test-registry";
    private static final String ISSUER = "jstargz-test-token-issuer";

    private final HttpServer server;
    private final HeldCertificate signer;
    private final Map<String, String> users;
    private final Map<String, List<String>> repositories;
    private final Map<String, String> refreshTokens;
    private final boolean anonymousPull;
    private final Duration tokenLifetime;
    private final List<TokenRequest> requests = new ArrayList<>();

    private TokenServer(Builder b) throws IOException {
        this.signer = new HeldCertificate.Builder().ecdsa256().commonName("jstargz test token issuer").build();
        this.users = Map.copyOf(b.users);
        this.repositories = Map.copyOf(b.repositories);
        this.refreshTokens = Map.copyOf(b.refreshTokens);
        this.anonymousPull = b.anonymousPull;
        this.tokenLifetime = b.tokenLifetime;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.createContext("/token", this::handle);
        server.start();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The realm URL to put into the registry configuration. */
    public String realm() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/token";
    }

    public String service() {
        return SERVICE;
    }

    public String issuer() {
        return ISSUER;
    }

    /** The certificate whose key signs the tokens: the registry's {@code rootcertbundle}. */
    public String rootCertificatePem() {
        return signer.certificatePem();
    }

    /** Every token request so far, in order. */
    public synchronized List<TokenRequest> requests() {
        return List.copyOf(requests);
    }

    @Override
    public void close() {
        server.stop(0);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            Map<String, List<String>> params = new LinkedHashMap<>();
            parseForm(exchange.getRequestURI().getRawQuery(), params);
            String account = null;
            boolean authenticated = false;
            if (exchange.getRequestMethod().equals("POST")) {
                parseForm(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8), params);
                String grant = first(params, "grant_type");
                if ("password".equals(grant)) {
                    account = first(params, "username");
                    authenticated = account != null && Objects.equals(first(params, "password"), users.get(account));
                } else if ("refresh_token".equals(grant)) {
                    account = refreshTokens.get(first(params, "refresh_token"));
                    authenticated = account != null;
                }
                if (!authenticated) {
                    answer(exchange, account, params, 401, "{\"error\":\"invalid_grant\"}");
                    return;
                }
                List<String> scopes = new ArrayList<>();
                for (String s : params.getOrDefault("scope", List.of())) {
                    scopes.addAll(List.of(s.split(" ")));
                }
                params.put("scope", scopes);
            } else {
                String authorization = exchange.getRequestHeaders().getFirst("Authorization");
                if (authorization != null && authorization.startsWith("Basic ")) {
                    String decoded = new String(Base64.getDecoder().decode(authorization.substring(6)),
                            StandardCharsets.UTF_8);
                    int colon = decoded.indexOf(':');
                    account = decoded.substring(0, colon);
                    if (!decoded.substring(colon + 1).equals(users.get(account))) {
                        answer(exchange, account, params, 401, "{\"details\":\"incorrect username or password\"}");
                        return;
                    }
                    authenticated = true;
                }
            }
            if (!SERVICE.equals(first(params, "service"))) {
                answer(exchange, account, params, 400, "{\"details\":\"unknown service\"}");
                return;
            }
            String token = sign(account, grantedAccess(params.getOrDefault("scope", List.of()),
                    authenticated ? account : null));
            ObjectNode body = JSON.createObjectNode();
            body.put("token", token);
            body.put("access_token", token);
            body.put("expires_in", tokenLifetime.toSeconds());
            body.put("issued_at", Instant.now().toString());
            if (exchange.getRequestMethod().equals("POST")) {
                body.put("refresh_token", "refresh-" + account);
            }
            answer(exchange, account, params, 200, JSON.writeValueAsString(body));
        }
    }

    /** The access granted for {@code scopes} to {@code account} ({@code null}: anonymous). */
    private ArrayNode grantedAccess(List<String> scopes, String account) {
        ArrayNode access = JSON.createArrayNode();
        for (String scope : scopes) {
            int first = scope.indexOf(':');
            int last = scope.lastIndexOf(':');
            if (first < 0 || last <= first) {
                continue;
            }
            ArrayNode actions = JSON.createArrayNode();
            String name = scope.substring(first + 1, last);
            boolean allowed = account != null && (!repositories.containsKey(account)
                    || repositories.get(account).contains(name));
            for (String action : scope.substring(last + 1).split(",")) {
                if (allowed || (anonymousPull && action.equals("pull"))) {
                    actions.add(action);
                }
            }
            ObjectNode entry = access.addObject();
            entry.put("type", scope.substring(0, first));
            entry.put("name", name);
            entry.set("actions", actions);
        }
        return access;
    }

    private String sign(String account, ArrayNode access) throws IOException {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        try {
            ObjectNode header = JSON.createObjectNode();
            header.put("typ", "JWT");
            header.put("alg", "ES256");
            header.putArray("x5c").add(Base64.getEncoder().encodeToString(signer.certificate().getEncoded()));
            long now = Instant.now().getEpochSecond();
            ObjectNode claims = JSON.createObjectNode();
            claims.put("iss", ISSUER);
            claims.put("sub", account == null ? "" : account);
            claims.put("aud", SERVICE);
            claims.put("exp", now + tokenLifetime.toSeconds());
            claims.put("nbf", now - 10);
            claims.put("iat", now);
            claims.put("jti", UUID.randomUUID().toString());
            claims.set("access", access);
            String signingInput = b64.encodeToString(JSON.writeValueAsBytes(header)) + "."
                    + b64.encodeToString(JSON.writeValueAsBytes(claims));
            Signature es256 = Signature.getInstance("SHA256withECDSAinP1363Format");
            es256.initSign(signer.keyPair().getPrivate());
            es256.update(signingInput.getBytes(StandardCharsets.US_ASCII));
            return signingInput + "." + b64.encodeToString(es256.sign());
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot sign a test token", e);
        }
    }

    private void answer(HttpExchange exchange, String account, Map<String, List<String>> params, int status,
                        String body) throws IOException {
        synchronized (this) {
            requests.add(new TokenRequest(exchange.getRequestMethod(), account,
                    List.copyOf(params.getOrDefault("scope", List.of())), status));
        }
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static void parseForm(String form, Map<String, List<String>> into) {
        if (form == null || form.isEmpty()) {
            return;
        }
        for (String pair : form.split("&")) {
            int eq = pair.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            into.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
        }
    }

    private static String first(Map<String, List<String>> params, String key) {
        List<String> values = params.get(key);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /** Options for a {@link TokenServer}. */
    public static final class Builder {
        private final Map<String, String> users = new LinkedHashMap<>();
        private final Map<String, String> refreshTokens = new LinkedHashMap<>();
        private final Map<String, List<String>> repositories = new LinkedHashMap<>();
        private boolean anonymousPull;
        private Duration tokenLifetime = Duration.ofMinutes(5);

        private Builder() {
        }

        public Builder user(String name, String password) {
            users.put(name, password);
            return this;
        }

        /** A user who gets access to these repositories only (e.g. {@code team-a/app}). */
        public Builder user(String name, String password, String... repositories) {
            this.repositories.put(name, List.of(repositories));
            return user(name, password);
        }

        /** Accepts {@code token} as an OAuth2 refresh token (a docker {@code identitytoken}) for {@code account}. */
        public Builder refreshToken(String token, String account) {
            refreshTokens.put(token, account);
            return this;
        }

        /** Lets clients without credentials pull (like a public repository). */
        public Builder anonymousPull(boolean allowed) {
            this.anonymousPull = allowed;
            return this;
        }

        public Builder tokenLifetime(Duration lifetime) {
            this.tokenLifetime = lifetime;
            return this;
        }

        public TokenServer start() throws IOException {
            return new TokenServer(this);
        }
    }
}
