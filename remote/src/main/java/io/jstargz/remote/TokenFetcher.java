package io.jstargz.remote;

import com.fasterxml.jackson.databind.JsonNode;
import io.jstargz.remote.auth.Credentials;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.FormBody;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Gets a Bearer token from a registry's token server (the Docker token auth flow): {@code GET realm?service&scope}
 * with Basic credentials or anonymously, or an OAuth2 {@code refresh_token} POST when the credentials are an
 * identity token.
 */
final class TokenFetcher {

    /** A token and when to stop using it. */
    record BearerToken(String token, Instant expiresAt) {

        boolean isValid() {
            return Instant.now().isBefore(expiresAt);
        }

        @Override
        public String toString() {
            return "BearerToken[redacted, expires " + expiresAt + "]";
        }
    }

    private static final Duration DEFAULT_LIFETIME = Duration.ofSeconds(60);
    private static final int MAX_TOKEN_RESPONSE = 1 << 20;

    private final Retrier retrier;
    private final RegistryConfig config;

    TokenFetcher(Retrier retrier, RegistryConfig config) {
        this.retrier = retrier;
        this.config = config;
    }

    BearerToken fetch(OkHttpClient client, String realm, String service, List<String> scopes,
                      Credentials credentials, String registry) throws IOException {
        HttpUrl realmUrl = HttpUrl.parse(realm);
        if (realmUrl == null) {
            throw new RegistryException("registry " + registry + " named an invalid token realm '" + realm + "'");
        }
        Request request = credentials != null && credentials.hasIdentityToken()
                ? refreshTokenRequest(realmUrl, service, scopes, credentials)
                : getRequest(realmUrl, service, scopes, credentials);
        String where = "token for " + scopes + " from " + HttpTransport.redact(realmUrl);
        return retrier.run(where, config.maxRetries(), () -> {
            Call call = client.newCall(request);
            call.timeout().timeout(config.requestTimeout().toMillis(), TimeUnit.MILLISECONDS);
            try (Response response = call.execute()) {
                if (response.code() == 401 || response.code() == 403) {
                    throw new UnauthorizedException("token server " + HttpTransport.redact(realmUrl) + " refused "
                            + (credentials == null ? "anonymous access" : "the credentials of " + credentials.username())
                            + " to " + registry + " for " + scopes + " (HTTP " + response.code() + ")",
                            response.code());
                }
                if (!response.isSuccessful()) {
                    throw HttpTransport.failure(response, where);
                }
                byte[] body = HttpTransport.readBounded(response, MAX_TOKEN_RESPONSE, where);
                return parse(body, where);
            }
        });
    }

    private Request getRequest(HttpUrl realm, String service, List<String> scopes, Credentials credentials) {
        HttpUrl.Builder url = realm.newBuilder();
        if (service != null) {
            url.addQueryParameter("service", service);
        }
        for (String scope : scopes) {
            url.addQueryParameter("scope", scope);
        }
        Request.Builder b = new Request.Builder().url(url.build()).header("User-Agent", config.userAgent());
        if (credentials != null) {
            url.addQueryParameter("account", credentials.username());
            b.url(url.build()).header("Authorization",
                    okhttp3.Credentials.basic(credentials.username(), credentials.secret(),
                            StandardCharsets.UTF_8));
        }
        return b.build();
    }

    private Request refreshTokenRequest(HttpUrl realm, String service, List<String> scopes, Credentials credentials) {
        FormBody.Builder form = new FormBody.Builder()
                .add("grant_type", "refresh_token")
                .add("refresh_token", credentials.identityToken())
                .add("client_id", "jstargz")
                .add("scope", String.join(" ", scopes));
        if (service != null) {
            form.add("service", service);
        }
        return new Request.Builder().url(realm).post(form.build()).header("User-Agent", config.userAgent()).build();
    }

    private static BearerToken parse(byte[] body, String where) throws IOException {
        JsonNode node;
        try {
            node = ManifestContent.JSON.readTree(body);
        } catch (IOException e) {
            throw new RegistryException(where + ": the token response is not JSON");
        }
        String token = node.path("token").asText("");
        if (token.isEmpty()) {
            token = node.path("access_token").asText("");
        }
        if (token.isEmpty()) {
            throw new RegistryException(where + ": the token response has no token");
        }
        long expiresIn = node.path("expires_in").asLong(0);
        Duration lifetime = expiresIn > 0 ? Duration.ofSeconds(expiresIn) : DEFAULT_LIFETIME;
        Instant issued = Instant.now();
        String issuedAt = node.path("issued_at").asText("");
        if (!issuedAt.isEmpty()) {
            try {
                Instant serverIssued = Instant.parse(issuedAt);
                // a server clock ahead of ours must not extend the token's life here
                issued = serverIssued.isBefore(issued) ? serverIssued : issued;
            } catch (DateTimeParseException ignored) {
                // keep our own clock
            }
        }
        Duration margin = lifetime.dividedBy(10).compareTo(Duration.ofSeconds(10)) < 0
                ? lifetime.dividedBy(10) : Duration.ofSeconds(10);
        return new BearerToken(token, issued.plus(lifetime).minus(margin));
    }
}
