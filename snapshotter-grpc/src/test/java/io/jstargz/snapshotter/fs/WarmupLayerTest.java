package io.jstargz.snapshotter.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jstargz.estargz.Entry;
import io.jstargz.estargz.EntryType;
import io.jstargz.estargz.LayerIndex;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The warm-up layer's TOC has what real base layers' TOCs have: what the warm-up does not show the JIT is compiled
 * again in the middle of the first pull that has it.
 */
class WarmupLayerTest {
    @TempDir
    Path dir;

    @Test
    void itsTocHasTheEntriesOfARealBaseLayer() throws IOException {
        Files.writeString(dir.resolve("layer.esgz"), "a layer kept by an older version");
        Files.writeString(dir.resolve("layer-2.esgz"), "the layer the version before kept");
        LayerIndex index;
        try (WarmupLayer w = WarmupLayer.serve(dir)) {
            index = w.parse();
        }
        List<Entry> entries = new ArrayList<>();
        index.walk((path, e) -> entries.add(e));
        assertTrue(index.entryCount() > 3000, "entries: " + index.entryCount());
        assertTrue(index.countByType().get(EntryType.DIR) >= 50, "directories: " + index.countByType());
        assertTrue(index.countByType().get(EntryType.SYMLINK) >= 300, "symlinks: " + index.countByType());
        assertTrue(entries.stream().anyMatch(e -> e.isRegular() && e.numLink() > 1), "a hardlinked file");
        assertTrue(entries.stream().anyMatch(e -> e.uid() == 0 && e.gid() != 0), "a file of a group other than root");
        assertTrue(entries.stream().anyMatch(e -> !e.userName().isEmpty()), "an owner with a name");
        assertTrue(index.hasXattrs(), "an xattr");
        assertTrue(index.lookup("lib/zeros").orElseThrow().size() >= 10_000_000, "a size of eight digits");
        assertTrue(entries.stream().anyMatch(e -> e.uid() == 123_456_789), "an id of nine digits");
        assertTrue(entries.stream().anyMatch(e -> e.gid() == 3_000_000_000L), "an id of ten digits, beyond an int");
        for (String name : List.of("share/intl/caf\u00e9.py", "share/intl/\u65e5\u672c\u8a9e.h",
                "share/intl/\ud83d\ude42.txt", "share/intl/a&b<c>.txt")) {
            assertTrue(index.lookup(name).isPresent(), name);
        }
        assertTrue(entries.stream().anyMatch(e -> e.path().length() > 300), "a path longer than 300 characters");
        assertEquals(12, entries.stream().map(e -> e.modTime().atZone(ZoneOffset.UTC).getMonth()).distinct().count(),
                "months of the entries' times");
        assertTrue(entries.stream().map(e -> e.name().length()).collect(Collectors.toSet()).size() >= 8,
                "lengths of names");
        assertTrue(Files.exists(dir.resolve("layer-3.esgz")), "the layer is kept");
        assertTrue(Files.notExists(dir.resolve("layer.esgz")), "an older version's layer is removed");
        assertTrue(Files.notExists(dir.resolve("layer-2.esgz")), "the version before's layer is removed");
    }
}
