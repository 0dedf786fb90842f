package io.jstargz.testing;

import io.jstargz.process.Command;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Test images built from Debian's busybox-static ({@code /bin/busybox}): a root filesystem with the busybox
 * binary, a symlink per applet and a minimal {@code /etc}. Deterministic: the same busybox gives the same digests.
 */
public final class BusyboxImage {
    /** Where Debian's busybox-static package installs the binary. */
    public static final Path BUSYBOX = Path.of("/bin/busybox");

    private BusyboxImage() {
    }

    /** The base layer: {@code /bin/busybox}, {@code /bin/<applet>} symlinks, {@code /etc} and {@code /tmp}. */
    public static LayerBuilder baseLayer() throws IOException {
        if (!Files.isExecutable(BUSYBOX)) {
            throw new IllegalStateException(BUSYBOX + " is missing: install the busybox-static package"
                    + " (scripts/setup.sh)");
        }
        LayerBuilder layer = new LayerBuilder()
                .dir("bin", 0755)
                .file("bin/busybox", Files.readAllBytes(BUSYBOX), 0755);
        for (String applet : applets()) {
            if (!applet.equals("busybox")) {
                layer.symlink("bin/" + applet, "busybox");
            }
        }
        return layer
                .dir("tmp", 01777)
                .dir("proc", 0555)
                .dir("sys", 0555)
                .dir("dev", 0755)
                .file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n")
                .file("etc/group", "root:x:0:\nnogroup:x:65534:\n")
                .file("etc/hostname", "busybox\n")
                .dir("root", 0700);
    }

    /** A one-layer busybox image written as an OCI layout in {@code dir}. */
    public static OciImage singleLayer(Path dir, String name) throws IOException {
        return OciImage.write(dir, name, List.of(baseLayer()), List.of("sh"));
    }

    /**
     * A three-layer busybox image: the base; a layer adding {@code /data/hello.txt} and {@code /data/gone.txt};
     * a layer deleting {@code /data/gone.txt} with a whiteout and adding {@code /etc/motd}.
     */
    public static OciImage threeLayers(Path dir, String name) throws IOException {
        List<LayerBuilder> layers = new ArrayList<>();
        layers.add(baseLayer());
        layers.add(new LayerBuilder().file("data/hello.txt", "hello from layer 2\n").file("data/gone.txt", "gone\n"));
        layers.add(new LayerBuilder().whiteout("data/gone.txt").file("etc/motd", "layer 3\n"));
        return OciImage.write(dir, name, layers, List.of("sh"));
    }

    private static List<String> applets() throws IOException {
        return Command.of(BUSYBOX.toString(), "--list").run(Duration.ofSeconds(30)).orThrow().lines()
                .map(String::trim).filter(s -> !s.isEmpty()).sorted().toList();
    }
}
