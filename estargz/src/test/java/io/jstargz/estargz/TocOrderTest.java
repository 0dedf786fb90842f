package io.jstargz.estargz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * TOCs whose entries do not come parents first, as a converter that moves prioritized files to the front writes
 * them: the index is built in one pass, so a directory is made when something inside it arrives and takes the
 * attributes of its own entry later, and a hardlink may come before its target.
 */
class TocOrderTest {
    private static byte[] valid;
    private static long tocOffset;

    @BeforeAll
    static void buildBlob() throws Exception {
        byte[] tar = new TarBytes()
                .entry(TarBytes.h("dir/").type('5').mode(0755))
                .entry(TarBytes.h("dir/a.txt"), "hello".getBytes(StandardCharsets.UTF_8))
                .entry(TarBytes.h("dir/sub/").type('5').mode(0755))
                .entry(TarBytes.h("dir/sub/b.txt"), "world".getBytes(StandardCharsets.UTF_8))
                .entry(TarBytes.h("dir/link").type('1').link("dir/a.txt"))
                .end();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new LayerConverter(ConvertOptions.defaults().withParallelism(1)).convert(new ByteArrayInputStream(tar), out);
        valid = out.toByteArray();
        tocOffset = EstargzReader.open(new TestData.CountingSource(valid), OpenOptions.defaults("order")).tocOffset();
    }

    /** The blob with its TOC entries edited (entries without blob offsets may move freely). */
    private static LayerIndex withToc(Consumer<List<TocEntry.Builder>> edit) throws Exception {
        return withToc(edit, "", "");
    }

    /** ... and {@code from} replaced with {@code to} in the TOC JSON. */
    private static LayerIndex withToc(Consumer<List<TocEntry.Builder>> edit, String from, String to) throws Exception {
        List<TocEntry.Builder> entries = new ArrayList<>();
        Blobs.toc(valid).forEach(e -> entries.add(e.toBuilder()));
        edit.accept(entries);
        List<TocEntry> toc = new ArrayList<>();
        entries.forEach(b -> toc.add(b.build()));
        byte[] json = new String(TocJsonWriter.write(toc), StandardCharsets.UTF_8).replace(from, to)
                .getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream member = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(member)) {
            gz.write(GoTarWriter.encode(TarHeader.regular(Landmarks.TOC_TAR_NAME, json.length)));
            gz.write(json);
            gz.write(new byte[(-json.length & 511) + 1024]);
        }
        ByteArrayOutputStream blob = new ByteArrayOutputStream();
        blob.write(valid, 0, (int) tocOffset);
        member.writeTo(blob);
        blob.write(Footer.estargz(tocOffset));
        return EstargzReader.open(new TestData.CountingSource(blob.toByteArray()), OpenOptions.defaults("order"));
    }

    private static TocEntry.Builder remove(List<TocEntry.Builder> entries, String name) {
        TocEntry.Builder e = entries.stream().filter(b -> b.name.equals(name)).findFirst().orElseThrow();
        entries.remove(e);
        return e;
    }

    @Test
    void aDirectoryNamedAfterItsContentsKeepsThemAndTakesItsAttributes() throws Exception {
        LayerIndex index = withToc(e -> {
            TocEntry.Builder dir = remove(e, "dir/");
            dir.mode = 0700;
            dir.uid = 1000;
            e.add(dir);
        });
        Entry dir = index.lookup("dir").orElseThrow();
        assertEquals(0700, dir.mode());
        assertEquals(1000, dir.uid());
        assertEquals(List.of("a.txt", "link", "sub"), dir.children().stream().map(DirEntry::name).toList());
        assertEquals(3, dir.numLink(), "2 + one subdirectory");
        assertEquals("dir/sub/b.txt", index.lookup("dir/sub/b.txt").orElseThrow().path());
        assertEquals(index.entryCount(), index.paths().size(), "no entry was made twice (the link shares an inode)");
    }

    @Test
    void hardlinksBeforeTheirTargetAndChainsOfThemResolve() throws Exception {
        LayerIndex index = withToc(e -> {
            TocEntry.Builder link = remove(e, "dir/link");
            e.add(0, link);
            TocEntry.Builder second = TocEntry.builder("second", "hardlink");
            second.linkName = "dir/link";
            e.add(0, second);
        });
        Entry a = index.lookup("dir/a.txt").orElseThrow();
        assertEquals(a, index.lookup("second").orElseThrow());
        assertEquals(a, index.lookup("dir/link").orElseThrow());
        assertEquals(3, a.numLink());
        assertEquals("dir/a.txt", index.lookup("second").orElseThrow().path());
    }

    @Test
    void namesAreMatchedAsGoDecodesThem() throws Exception {
        LayerIndex index = withToc(e -> e.add(TocEntry.builder("dir/lone", "dir")), "dir/lone", "dir/x\\ud800");
        assertTrue(index.lookup("dir/x\ufffd").isPresent(), "a lone surrogate is U+FFFD, as Go decodes it");
        assertFalse(index.lookup("dir/x?").isPresent());
    }
}
