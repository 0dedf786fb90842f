package io.jstargz.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The harness itself: the registries start, demand the auth they were configured with, and log requests. */
class RegistryServerTest {

    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> get(String url, String authorization) throws Exception {
        HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(url));
        if (authorization != null) {
            req.header("Authorization", authorization);
        }
        return http.send(req.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void plainRegistryAnswersAndLogsRequests() throws Exception {
        try (RegistryServer registry = RegistryServer.start()) {
            int mark = registry.accessLogMark();
            assertEquals(200, get(registry.url() + "/v2/", null).statusCode());
            assertEquals(404, get(registry.url() + "/v2/a/b/manifests/latest", null).statusCode());
            registry.syncAccessLog();
            List<RegistryAccessLog.Entry> seen = registry.accessLog().since(mark);
            assertEquals(List.of("/v2/", "/v2/a/b/manifests/latest"),
                    seen.stream().map(RegistryAccessLog.Entry::uri).toList());
            assertEquals(404, seen.get(1).status());
        }
    }

    @Test
    void basicAuthRegistryRequiresTheUser() throws Exception {
        try (RegistryServer registry = RegistryServer.builder().basicAuth("alice", "s3cret").start()) {
            HttpResponse<String> anonymous = get(registry.url() + "/v2/", null);
            assertEquals(401, anonymous.statusCode());
            assertTrue(anonymous.headers().firstValue("WWW-Authenticate").orElseThrow().startsWith("Basic"));
            String basic = "Basic " + Base64.getEncoder().encodeToString("alice:s3cret".getBytes(StandardCharsets.UTF_8));
            assertEquals(200, get(registry.url() + "/v2/", basic).statusCode());
        }
    }

    @Test
    void tokenAuthRegistryAcceptsTokensFromTheTokenServer() throws Exception {
        try (TokenServer tokens = TokenServer.builder().user("bob", "pw").start();
             RegistryServer registry = RegistryServer.builder().tokenAuth(tokens).start()) {
            HttpResponse<String> anonymous = get(registry.url() + "/v2/a/b/tags/list", null);
            assertEquals(401, anonymous.statusCode());
            String challenge = anonymous.headers().firstValue("WWW-Authenticate").orElseThrow();
            assertTrue(challenge.startsWith("Bearer realm=\"" + tokens.realm() + "\""), challenge);
            assertTrue(challenge.contains("scope=\"repository:a/b:pull\""), challenge);

            String basic = "Basic " + Base64.getEncoder().encodeToString("bob:pw".getBytes(StandardCharsets.UTF_8));
            HttpResponse<String> tokenResponse = get(tokens.realm() + "?service=" + tokens.service()
                    + "&scope=repository:a/b:pull", basic);
            assertEquals(200, tokenResponse.statusCode());
            String token = new ObjectMapper().readTree(tokenResponse.body()).get("token").asText();
            // the repository does not exist: a 404 (not 401) proves the registry accepted the token
            assertEquals(404, get(registry.url() + "/v2/a/b/tags/list", "Bearer " + token).statusCode());
            assertEquals(List.of(new TokenServer.TokenRequest("GET", "bob", List.of("repository:a/b:pull"), 200)),
                    tokens.requests());
            assertEquals(401, get(tokens.realm() + "?service=" + tokens.service(),
                    "Basic " + Base64.getEncoder().encodeToString("bob:wrong".getBytes(StandardCharsets.UTF_8)))
                    .statusCode());
        }
    }
}
