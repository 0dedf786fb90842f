package io.jstargz.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Platform normalization and selection from an index, as containerd does it. */
class PlatformTest {

    @Test
    void architecturesAndVariantsNormalize() {
        assertTrue(Platform.parse("linux/amd64").matches(Platform.parse("linux/x86_64")));
        assertTrue(Platform.parse("linux/arm64").matches(Platform.parse("linux/arm64/v8")));
        assertTrue(Platform.parse("linux/aarch64").matches(Platform.parse("linux/arm64")));
        assertTrue(Platform.parse("linux/arm").matches(Platform.parse("linux/arm/v7")));
        assertFalse(Platform.parse("linux/arm/v6").matches(Platform.parse("linux/arm/v7")));
        assertFalse(Platform.parse("linux/amd64").matches(Platform.parse("windows/amd64")));
        assertEquals("linux", Platform.current().os());
    }

    @Test
    void indexSelectionSkipsNonImageEntriesAndNamesWhatIsThere() throws NotFoundException {
        Descriptor attestation = new Descriptor("application/vnd.in-toto+json", Digest.sha256(new byte[] {0}), 1,
                List.of(), Map.of(), new Platform("unknown", "unknown", ""));
        Descriptor amd = new Descriptor(MediaTypes.OCI_MANIFEST, Digest.sha256(new byte[] {1}), 1, List.of(),
                Map.of(), Platform.parse("linux/amd64"));
        Descriptor arm = new Descriptor(MediaTypes.DOCKER_MANIFEST, Digest.sha256(new byte[] {2}), 1, List.of(),
                Map.of(), Platform.parse("linux/arm64/v8"));
        ImageIndex index = new ImageIndex(2, MediaTypes.OCI_INDEX, List.of(attestation, amd, arm), Map.of());
        assertEquals(arm, index.select(Platform.parse("linux/arm64")));
        assertEquals(amd, index.select(Platform.parse("linux/amd64")));
        NotFoundException e = assertThrows(NotFoundException.class, () -> index.select(Platform.parse("linux/ppc64le")));
        assertTrue(e.getMessage().contains("linux/amd64") && e.getMessage().contains("linux/ppc64le"),
                e.getMessage());
    }
}
