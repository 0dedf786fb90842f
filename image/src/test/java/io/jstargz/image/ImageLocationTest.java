package io.jstargz.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jstargz.remote.ImageReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageLocationTest {

    @Test
    void parsesTheTransportsUsersWrite() {
        assertEquals(new ImageLocation.OciLayout(Path.of("/tmp/x"), null), ImageLocation.parse("oci:/tmp/x"));
        assertEquals(new ImageLocation.OciLayout(Path.of("dir"), "v1:2"), ImageLocation.parse("oci:dir:v1:2"));
        assertEquals(new ImageLocation.DockerArchive(Path.of("a.tar"), null),
                ImageLocation.parse("docker-archive:a.tar"));
        assertEquals(new ImageLocation.DockerArchive(Path.of("a.tar"), "busybox:1"),
                ImageLocation.parse("docker-archive:a.tar:busybox:1"));
        assertEquals(new ImageLocation.Registry(ImageReference.parse("127.0.0.1:5000/a/b:c")),
                ImageLocation.parse("docker://127.0.0.1:5000/a/b:c"));
        assertEquals(new ImageLocation.Registry(ImageReference.parse("docker.io/library/busybox:latest")),
                ImageLocation.parse("busybox"));
        assertEquals(new ImageLocation.Containerd(Path.of("/run/containerd/containerd.sock"), "default",
                "docker.io/library/busybox:latest"), ImageLocation.parse("containerd:docker.io/library/busybox:latest"));
        IllegalArgumentException sourceOnly = assertThrows(IllegalArgumentException.class,
                () -> ImageLocation.parse("containerd:x:1").openSink(null, null));
        assertTrue(sourceOnly.getMessage().contains("is a source only"), sourceOnly.getMessage());
    }

    @Test
    void rejectsWhatItCannotRead() {
        for (String bad : List.of("oci:", "containerd:", "containers-storage:x", "dir:/tmp/x", "https://example.com/x",
                "docker://Upper/Case")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ImageLocation.parse(bad), bad);
            assertTrue(e.getMessage().contains(bad.replace("docker://", "")) || e.getMessage().contains("'"),
                    e.getMessage());
        }
    }

    @Test
    void recordFilesAndPlainListsRoundTrip(@TempDir Path tmp) throws Exception {
        Path plain = Files.writeString(tmp.resolve("plain"), "# comment\n/bin/sh\n\n./etc/passwd\n/bin/sh\n");
        assertEquals(List.of("bin/sh", "etc/passwd"), RecordFile.read(plain));
        Path record = tmp.resolve("record.json");
        RecordFile.write(record, List.of(new RecordFile.Entry("bin/sh", "sha256:ab", 0),
                new RecordFile.Entry("etc/passwd", "sha256:ab", 1)));
        assertEquals("{\"path\":\"bin/sh\",\"manifestDigest\":\"sha256:ab\",\"layerIndex\":0}",
                Files.readAllLines(record).get(0));
        assertEquals(List.of("bin/sh", "etc/passwd"), RecordFile.read(record));
        Path broken = Files.writeString(tmp.resolve("broken"), "{\"nopath\":1}\n");
        Exception e = assertThrows(java.io.IOException.class, () -> RecordFile.read(broken));
        assertTrue(e.getMessage().contains("broken:1"), e.getMessage());
    }
}
