package io.jstargz.remote;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jstargz.remote.auth.CredentialStore;
import io.jstargz.testing.RegistryServer;
import io.jstargz.testing.TokenServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real registry with Bearer token auth: anonymous pull, credentialed push, identity tokens, one token per scope. */
class TokenAuthRegistryTest {

    private static final String USER = "bob";
    private static final String PASSWORD = "builder-2c9e";
    private static final String REFRESH_TOKEN = "refresh-5d1b";
    private static TokenServer tokens;
    private static RegistryServer registry;
    private static Path dockerConfig;
    private static TestImages.Pushed image;

    @BeforeAll
    static void start(@TempDir Path dir) throws IOException {
        tokens = TokenServer.builder().user(USER, PASSWORD).refreshToken(REFRESH_TOKEN, USER).anonymousPull(true)
                .start();
        registry = RegistryServer.builder().tokenAuth(tokens).start();
        dockerConfig = BasicAuthRegistryTest.writeDockerConfig(dir,
                BasicAuthRegistryTest.basicAuthEntry(registry.host(), USER, PASSWORD));
        try (RegistryClient client = RegistryClient.create(BasicAuthRegistryTest.config(dockerConfig).build())) {
            image = TestImages.push(client, ref("token/img:1"), TestImages.ESTARGZ_BLOBS, Platform.parse("linux/amd64"));
        }
    }

    @AfterAll
    static void stop() throws IOException {
        registry.close();
        tokens.close();
    }

    private static ImageReference ref(String path) {
        return ImageReference.parse(registry.host() + "/" + path);
    }

    @Test
    void pushedWithCredentialsUsingPushScopedTokens() {
        List<TokenServer.TokenRequest> seen = tokens.requests();
        assertTrue(seen.stream().anyMatch(r -> USER.equals(r.account()) && r.status() == 200
                && r.scopes().contains("repository:token/img:pull,push")), seen.toString());
    }

    @Test
    void anonymousClientsPullButCannotPush() throws IOException {
        try (RegistryClient anonymous = RegistryClient.create(RegistryClientTest.config().build(),
                CredentialStore.ANONYMOUS)) {
            ResolvedImage resolved = anonymous.resolve(ref("token/img:1"));
            assertEquals(image.digest(), resolved.reference().digest());
            byte[] file = Files.readAllBytes(TestImages.blob(TestImages.ESTARGZ_BLOBS.get(0)));
            assertArrayEquals(Arrays.copyOf(file, 64),
                    anonymous.openBlob(ref("token/img:1"), resolved.manifest().layers().get(0)).read(0, 64));
            UnauthorizedException e = assertThrows(UnauthorizedException.class,
                    () -> anonymous.pushBlob(ref("token/img:1"), BlobContent.of(new byte[] {1, 2, 3}), null));
            assertTrue(e.getMessage().contains(registry.host()) && e.getMessage().contains("push"), e.getMessage());
        }
    }

    @Test
    void manyParallelLayerReadsShareOneTokenPerScope() throws Exception {
        int before = tokens.requests().size();
        try (RegistryClient client = RegistryClient.create(BasicAuthRegistryTest.config(dockerConfig).build())) {
            ResolvedImage resolved = client.resolve(ref("token/img:1"));
            ExecutorService pool = Executors.newFixedThreadPool(6);
            try {
                List<Future<byte[]>> reads = new ArrayList<>();
                for (int i = 0; i < 12; i++) {
                    Descriptor layer = resolved.manifest().layers().get(i % 3);
                    reads.add(pool.submit(() -> client.openBlob(ref("token/img:1"), layer).read(1000, 1000)));
                }
                for (Future<byte[]> f : reads) {
                    assertEquals(1000, f.get().length);
                }
            } finally {
                pool.shutdown();
            }
        }
        List<TokenServer.TokenRequest> mine = tokens.requests().subList(before, tokens.requests().size());
        assertEquals(1, mine.size(), mine.toString());
        assertEquals(List.of("repository:token/img:pull"), mine.get(0).scopes());
    }

    @Test
    void identityTokensAreExchangedWithAnOAuthRefreshGrant(@TempDir Path dir) throws IOException {
        Path config = BasicAuthRegistryTest.writeDockerConfig(dir,
                "{\"auths\":{\"" + registry.host() + "\":{\"identitytoken\":\"" + REFRESH_TOKEN + "\"}}}");
        int before = tokens.requests().size();
        try (RegistryClient client = RegistryClient.create(BasicAuthRegistryTest.config(config).build())) {
            assertEquals(PushOutcome.MOUNTED, client.pushBlob(ref("token/copy:1"),
                    BlobContent.of(TestImages.blob("small1-default.esgz")), ref("token/img:1")));
        }
        List<TokenServer.TokenRequest> mine = tokens.requests().subList(before, tokens.requests().size());
        assertTrue(mine.stream().allMatch(r -> r.method().equals("POST") && USER.equals(r.account())),
                mine.toString());
        assertTrue(mine.get(0).scopes().containsAll(List.of("repository:token/copy:pull,push",
                "repository:token/img:pull")), mine.toString());
    }
}
