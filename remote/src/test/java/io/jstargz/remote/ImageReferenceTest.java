package io.jstargz.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** References as users write them, normalized like docker and containerd. */
class ImageReferenceTest {

    private static final String DIGEST = "sha256:" + "ab".repeat(32);

    @ParameterizedTest
    @CsvSource({
            "busybox, docker.io, library/busybox, latest",
            "busybox:1.36, docker.io, library/busybox, 1.36",
            "docker.io/library/busybox:1.36, docker.io, library/busybox, 1.36",
            "index.docker.io/user/app, docker.io, user/app, latest",
            "user/app:v2, docker.io, user/app, v2",
            "localhost/app, localhost, app, latest",
            "localhost:5000/a/b/c:tag_1, localhost:5000, a/b/c, tag_1",
            "host:5000/a/b, host:5000, a/b, latest",
            "registry.example.com/team/app__x-y.z:1.0-rc.1, registry.example.com, team/app__x-y.z, 1.0-rc.1",
            "[::1]:5000/ns/app:3, [::1]:5000, ns/app, 3",
    })
    void parsesWithDefaults(String input, String registry, String repository, String tag) {
        ImageReference ref = ImageReference.parse(input);
        assertEquals(registry, ref.registry());
        assertEquals(repository, ref.repository());
        assertEquals(tag, ref.tag());
        assertNull(ref.digest());
        assertEquals(ref, ImageReference.parse(ref.toString()), "the normalized form parses to itself");
    }

    @Test
    void digestReferencesArePinned() {
        ImageReference ref = ImageReference.parse("host:5000/a/b@" + DIGEST);
        assertEquals("host:5000", ref.registry());
        assertNull(ref.tag());
        assertEquals(DIGEST, ref.manifestReference());
        ImageReference both = ImageReference.parse("busybox:1.36@" + DIGEST);
        assertEquals("1.36", both.tag());
        assertEquals(DIGEST, both.manifestReference());
        assertEquals("docker.io/library/busybox:1.36@" + DIGEST, both.toString());
    }

    @ParameterizedTest
    @CsvSource({
            "Busybox, invalid repository",
            "host:5000/a//b, invalid repository",
            "busybox:-bad, invalid tag",
            "busybox@sha256:abc, invalid sha256 digest",
            "busybox@md5:" + "00000000000000000000000000000000" + ", unsupported digest algorithm",
            "a/b:, invalid tag",
    })
    void rejectsMalformedReferencesSayingWhy(String input, String reason) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ImageReference.parse(input));
        assertTrue(e.getMessage().contains(input) && e.getMessage().contains(reason), e.getMessage());
    }
}
