package io.jstargz.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jstargz.cache.ChunkCache;
import io.jstargz.cache.ChunkCacheConfig;
import io.jstargz.estargz.FileBlobSource;
import io.jstargz.process.Command;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The FUSE mount as an overlayfs lower layer above a plain directory: whiteouts and opaque directories work. */
class OverlayLowerLayerTest {

    @TempDir
    Path tmp;

    @Test
    void whiteoutHidesAFileAndOpaqueDirectoryHidesTheLowerContents() throws Exception {
        Path below = tmp.resolve("below");
        Files.createDirectories(below.resolve("gone"));
        Files.createDirectories(below.resolve("opaque"));
        Files.writeString(below.resolve("gone/removed"), "lower");
        Files.writeString(below.resolve("gone/stays"), "lower");
        Files.writeString(below.resolve("opaque/old"), "lower");
        Files.writeString(below.resolve("only-below"), "lower");
        Path merged = Files.createDirectories(tmp.resolve("merged"));
        Path blob = ReferenceListing.TESTDATA.resolve(LocalLayerMountTest.DEFAULT);
        try (ChunkCache cache = ChunkCache.open(ChunkCacheConfig.defaults(tmp.resolve("cache")));
             LayerMount layer = LayerMount.open(LayerIdentity.ofFile(blob), FileBlobSource.open(blob), cache,
                     LayerMountOptions.defaults())) {
            layer.mount(Files.createDirectories(tmp.resolve("layer")));
            run("mount", "-t", "overlay", "overlay", "-o",
                    "ro,lowerdir=" + layer.mountPoint() + ":" + below, merged.toString());
            try {
                assertTrue(Files.isDirectory(merged.resolve("gone")));
                assertFalse(Files.exists(merged.resolve("gone/removed")), "the whiteout hides gone/removed");
                assertEquals("lower", Files.readString(merged.resolve("gone/stays")));
                assertFalse(Files.exists(merged.resolve("opaque/old")), "the opaque directory hides opaque/old");
                assertEquals(List.of("kept"), names(merged.resolve("opaque")));
                assertEquals(List.of("stays"), names(merged.resolve("gone")));
                assertEquals("lower", Files.readString(merged.resolve("only-below")));
                assertEquals(ListingCheck.sha256(layer.mountPoint().resolve("usr/lib/big.bin")),
                        ListingCheck.sha256(merged.resolve("usr/lib/big.bin")));
                assertEquals(04755, (Integer) Files.getAttribute(merged.resolve("usr/bin/suid"), "unix:mode") & 07777,
                        "the setuid bit passes through");
            } finally {
                run("umount", merged.toString());
            }
        }
    }

    @Test
    void aLayerWithoutXattrsIsAskedForThemOnceAndReadsWellUnderOverlay() throws Exception {
        TestLayers.Layer plain = TestLayers.random(tmp.resolve("plain"), 4, 64 * 1024, 64 * 1024, 3);
        Path merged = Files.createDirectories(tmp.resolve("merged"));
        Path upper = Files.createDirectories(tmp.resolve("upper"));
        Path work = Files.createDirectories(tmp.resolve("work"));
        try (ChunkCache cache = ChunkCache.open(ChunkCacheConfig.defaults(tmp.resolve("cache")));
             LayerMount layer = LayerMount.open(LayerIdentity.ofFile(plain.blob()), FileBlobSource.open(plain.blob()),
                     cache, LayerMountOptions.defaults())) {
            layer.mount(Files.createDirectories(tmp.resolve("layer")));
            // a writable overlay, as a container's: lookups and copy-up query the lower layer's attributes
            run("mount", "-t", "overlay", "overlay", "-o", "lowerdir=" + layer.mountPoint() + ",upperdir=" + upper
                    + ",workdir=" + work, merged.toString());
            try {
                for (var file : plain.contents().entrySet()) {
                    Path p = merged.resolve(file.getKey());
                    assertArrayEquals(file.getValue(), Files.readAllBytes(p), file.getKey());
                    assertEquals(List.of(), Xattrs.list(layer.mountPoint().resolve(file.getKey())));
                    Files.setLastModifiedTime(p, Files.getLastModifiedTime(p)); // copy-up copies attributes
                }
            } finally {
                run("umount", merged.toString());
            }
            long asked = layer.operations().entrySet().stream().filter(e -> e.getKey().contains("xattr"))
                    .mapToLong(e -> e.getValue().count()).sum();
            assertTrue(asked <= 2, "ENOSYS answers every later attribute query in the kernel, but the layer was asked "
                    + asked + " times: " + layer.operations());
        }
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static void run(String... command) throws IOException {
        Command.of(command).run(Duration.ofSeconds(30)).orThrow();
    }
}
