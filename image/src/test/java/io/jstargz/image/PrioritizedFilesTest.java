package io.jstargz.image;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PrioritizedFilesTest {

    @Test
    void eachPathGoesToTheTopmostLayerThatHasIt() {
        List<Set<String>> layers = List.of(
                Set.of("bin", "bin/sh", "etc", "etc/passwd", "etc/hosts"),
                Set.of("etc/passwd", "usr/lib/x.so"),
                Set.of("bin/sh"));
        PrioritizedFiles.Assignment a = PrioritizedFiles.assign(
                List.of("/etc/passwd", "./bin/sh", "etc/hosts", "usr//lib/./x.so", "etc/passwd", "nope"), layers);
        assertEquals(List.of(List.of("etc/hosts"), List.of("etc/passwd", "usr/lib/x.so"), List.of("bin/sh")),
                a.perLayer());
        assertEquals(List.of("nope"), a.unassigned());
    }

    @Test
    void whiteoutsAndOpaqueDirectoriesHideLowerLayers() {
        List<Set<String>> layers = List.of(
                Set.of("a", "a/x", "b", "b/y", "c", "c/d", "c/d/z", "keep"),
                Set.of("a/.wh.x", "b/.wh..wh..opq", "b", "c/.wh.d", "keep2"));
        PrioritizedFiles.Assignment a = PrioritizedFiles.assign(List.of("a/x", "b/y", "c/d/z", "keep"), layers);
        assertEquals(List.of(List.of("keep"), List.of()), a.perLayer());
        assertEquals(List.of("a/x", "b/y", "c/d/z"), a.unassigned());
    }

    @Test
    void aPathRecreatedAboveItsWhiteoutIsProvidedByTheUpperLayer() {
        List<Set<String>> layers = List.of(Set.of("f"), Set.of(".wh.f"), Set.of("f"));
        assertEquals(List.of(List.of(), List.of(), List.of("f")),
                PrioritizedFiles.assign(List.of("f"), layers).perLayer());
    }
}
