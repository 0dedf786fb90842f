package io.jstargz.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jstargz.remote.auth.CredentialStore;
import io.jstargz.remote.auth.Credentials;
import io.jstargz.testing.RegistryServer;
import io.jstargz.testing.TokenServer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Credentials are asked for per image: on one token-auth registry, where each of two users may read one repository
 * only, a client whose store answers per reference reads both images, each with its own secret, and the token
 * server sees each user ask for its own repository only.
 */
class PerImageCredentialsTest {

    @Test
    void twoImagesOfOneRegistryUseTheirOwnSecrets() throws Exception {
        try (TokenServer tokens = TokenServer.builder().user("pusher", "push-pw")
                .user("alice", "alice-pw", "team-a/app").user("carol", "carol-pw", "team-b/app").start();
             RegistryServer registry = RegistryServer.builder().tokenAuth(tokens).start()) {
            ImageReference a = ImageReference.parse(registry.host() + "/team-a/app:1");
            ImageReference b = ImageReference.parse(registry.host() + "/team-b/app:1");
            try (RegistryClient pusher = RegistryClient.create(RegistryClientTest.config().build(),
                    store(Map.of(a.toString(), Credentials.basic("pusher", "push-pw"),
                            b.toString(), Credentials.basic("pusher", "push-pw"))))) {
                TestImages.push(pusher, a, TestImages.ESTARGZ_BLOBS, RegistryClientTest.AMD64);
                TestImages.push(pusher, b, TestImages.ESTARGZ_BLOBS, RegistryClientTest.AMD64);
            }
            int before = tokens.requests().size();
            Map<String, Credentials> perImage = Map.of(a.toString(), Credentials.basic("alice", "alice-pw"),
                    b.toString(), Credentials.basic("carol", "carol-pw"));
            try (RegistryClient client = RegistryClient.create(RegistryClientTest.config().build(),
                    store(perImage))) {
                for (ImageReference ref : List.of(a, b)) {
                    ResolvedImage resolved = client.resolve(ref);
                    assertEquals(64, client.openBlob(ref, resolved.manifest().layers().get(0)).read(0, 64).length);
                }
            }
            // an image the store has nothing for goes anonymously (tokens are kept per scope, so this one asks with a
            // client of its own, which has no token for the repository yet)
            try (RegistryClient client = RegistryClient.create(RegistryClientTest.config().build(),
                    store(perImage))) {
                ImageReference unknown = ImageReference.parse(registry.host() + "/team-a/app:2");
                UnauthorizedException e = assertThrows(UnauthorizedException.class, () -> client.resolve(unknown));
                assertTrue(e.getMessage().contains("anonymous access"), e.getMessage());
            }
            List<TokenServer.TokenRequest> mine = tokens.requests().subList(before, tokens.requests().size());
            assertTrue(mine.stream().filter(r -> "alice".equals(r.account()))
                    .allMatch(r -> r.scopes().equals(List.of("repository:team-a/app:pull"))), mine.toString());
            assertTrue(mine.stream().filter(r -> "carol".equals(r.account()))
                    .allMatch(r -> r.scopes().equals(List.of("repository:team-b/app:pull"))), mine.toString());
            assertTrue(mine.stream().anyMatch(r -> "alice".equals(r.account()))
                    && mine.stream().anyMatch(r -> "carol".equals(r.account())), mine.toString());
        }
    }

    /** A store that knows images, not hosts: what a CRI keychain is. */
    private static CredentialStore store(Map<String, Credentials> byReference) {
        return new CredentialStore() {
            @Override
            public Credentials credentials(String host, String reference) {
                return byReference.get(reference);
            }

            @Override
            public String describe() {
                return "per-image test credentials";
            }
        };
    }
}
