package io.jstargz.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BusyboxImageTest {

    @Test
    void layoutIsDeterministicAndSelfConsistent(@TempDir Path tmp) throws Exception {
        OciImage a = BusyboxImage.threeLayers(tmp.resolve("a"), "test/bb:3");
        OciImage b = BusyboxImage.threeLayers(tmp.resolve("b"), "test/bb:3");
        assertEquals(a.manifestDigest(), b.manifestDigest());
        assertEquals(3, a.layerDigests().size());

        ObjectMapper json = new ObjectMapper();
        JsonNode index = json.readTree(a.dir().resolve("index.json").toFile());
        assertEquals(a.manifestDigest(), index.at("/manifests/0/digest").asText());
        assertEquals("test/bb:3", index.at("/manifests/0/annotations/org.opencontainers.image.ref.name").asText());
        for (String d : a.layerDigests()) {
            byte[] blob = Files.readAllBytes(a.dir().resolve("blobs/sha256/" + d.substring(7)));
            assertEquals(d, OciImage.digest(blob));
        }
        JsonNode config = json.readTree(a.dir().resolve("blobs/sha256/"
                + json.readTree(a.dir().resolve("blobs/sha256/" + a.manifestDigest().substring(7)).toFile())
                .at("/config/digest").asText().substring(7)).toFile());
        assertEquals(a.diffIds().get(2), config.at("/rootfs/diff_ids/2").asText());

        List<String> top = names(a, 2);
        assertEquals(List.of("data/", "data/.wh.gone.txt", "etc/", "etc/motd"), top);
        List<String> base = names(a, 0);
        assertTrue(base.contains("bin/busybox") && base.contains("bin/sh") && base.contains("etc/passwd"), "" + base);
    }

    private static List<String> names(OciImage image, int layer) throws Exception {
        byte[] gz = Files.readAllBytes(image.dir().resolve("blobs/sha256/"
                + image.layerDigests().get(layer).substring(7)));
        List<String> out = new ArrayList<>();
        try (TarArchiveInputStream tar = new TarArchiveInputStream(new GZIPInputStream(new ByteArrayInputStream(gz)))) {
            for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; ) {
                out.add(e.getName());
                assertEquals(LayerBuilder.MTIME.toEpochMilli(), e.getModTime().getTime());
            }
        }
        return out;
    }
}
