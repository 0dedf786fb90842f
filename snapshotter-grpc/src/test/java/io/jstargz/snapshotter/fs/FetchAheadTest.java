package io.jstargz.snapshotter.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jstargz.cache.ChunkCache;
import io.jstargz.cache.ChunkCacheConfig;
import io.jstargz.estargz.ByteRange;
import io.jstargz.estargz.ConvertOptions;
import io.jstargz.estargz.Entry;
import io.jstargz.estargz.FileBlobSource;
import io.jstargz.estargz.ForwardingBlob;
import io.jstargz.estargz.LayerConverter;
import io.jstargz.fs.LayerIdentity;
import io.jstargz.fs.LayerMount;
import io.jstargz.fs.LayerMountOptions;
import io.jstargz.remote.Digest;
import io.jstargz.testing.LayerBuilder;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the daemon fetches ahead of a container comes from the layers the container's overlay takes each file from, in
 * one request per layer: a program's interpreter, the loader's cache and its libraries at its first open (and nothing
 * the loader would not open), the image's account files when its top layer is mounted.
 */
class FetchAheadTest {
    private static final String IMAGE = "127.0.0.1:5000/app:1";
    private static final Digest LOWER = Digest.parse("sha256:" + "1".repeat(64));
    private static final Digest UPPER = Digest.parse("sha256:" + "2".repeat(64));
    private static final LayerMountOptions ON_DEMAND = LayerMountOptions.builder().prefetch(false)
            .backgroundFetch(false).neighbourBytes(0).build();

    @TempDir
    Path tmp;

    /** Records the ranges of each batch read from a blob. */
    private static final class RecordingBlob extends ForwardingBlob {
        final List<List<ByteRange>> batches = Collections.synchronizedList(new ArrayList<>());

        RecordingBlob(FileBlobSource blob) {
            super(blob);
        }

        @Override
        public List<byte[]> readRanges(List<ByteRange> ranges) throws IOException {
            batches.add(List.copyOf(ranges));
            return super.readRanges(ranges);
        }
    }

    @Test
    void aProgramsLibrariesAreFetchedFromTheLayerTheOverlayShows() throws Exception {
        LayerBuilder lower = new LayerBuilder()
                .symlink("lib", "usr/lib")
                .symlink("lib64", "usr/lib64")
                .symlink("usr/lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2")
                .file("usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", "the loader")
                .file("etc/ld.so.cache", "the loader's cache")
                .file("usr/lib/x86_64-linux-gnu/libc.so.6", "libc")
                .file("usr/local/lib/libfoo.so", "the lower layer's libfoo")
                .file("usr/lib/x86_64-linux-gnu/libgone.so", "a library the upper layer deletes")
                .file("usr/lib/x86_64-linux-gnu/libbar.so", "libbar after the runpath")
                .file("opt/app/lib/libbar.so", "libbar in the runpath");
        LayerBuilder upper = new LayerBuilder()
                .file("usr/bin/prog", ElfDependenciesTest.elf("/lib64/ld-linux-x86-64.so.2",
                        List.of("libfoo.so", "libbar.so", "libc.so.6", "libgone.so", "libmissing.so"),
                        "$ORIGIN/../../opt/app/lib", 0), 0755)
                .file("usr/local/lib/libfoo.so", "the upper layer's libfoo")
                .whiteout("usr/lib/x86_64-linux-gnu/libgone.so");
        try (ChunkCache cache = ChunkCache.open(ChunkCacheConfig.defaults(tmp.resolve("cache")))) {
            RecordingBlob lowerBlob = blob(lower, "lower");
            RecordingBlob upperBlob = blob(upper, "upper");
            try (LayerMount l = LayerMount.open(new LayerIdentity(IMAGE, LOWER.toString()), lowerBlob, cache, ON_DEMAND);
                 LayerMount u = LayerMount.open(new LayerIdentity(IMAGE, UPPER.toString()), upperBlob, cache, ON_DEMAND);
                 SharedLibraries libraries = new SharedLibraries(images(Map.of(LOWER, l, UPPER, u)))) {
                Entry prog = u.index().lookup("usr/bin/prog").orElseThrow();
                u.read(prog, 0, (int) prog.size()); // the kernel reads it to execute it
                lowerBlob.batches.clear();
                upperBlob.batches.clear();

                libraries.opened(IMAGE, UPPER, "usr/bin/prog");

                List<Entry> fromLower = entries(l, "usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", "etc/ld.so.cache",
                        "usr/lib/x86_64-linux-gnu/libc.so.6", "opt/app/lib/libbar.so");
                List<Entry> fromUpper = entries(u, "usr/local/lib/libfoo.so");
                awaitFetched(l, fromLower);
                awaitFetched(u, fromUpper);
                assertEquals(List.of(spans(fromLower)), spansOf(lowerBlob), "the lower layer's batches");
                assertEquals(List.of(spans(fromUpper)), spansOf(upperBlob), "the upper layer's batches");
            }
        }
    }

    @Test
    void aFileThatIsNotAProgramFetchesNothing() throws Exception {
        LayerBuilder layer = new LayerBuilder().file("usr/bin/tool", "#!/bin/sh\nexec /lib/ld.so\n".getBytes(), 0755)
                .file("lib/ld.so", "a loader");
        try (ChunkCache cache = ChunkCache.open(ChunkCacheConfig.defaults(tmp.resolve("cache")))) {
            RecordingBlob blob = blob(layer, "script");
            try (LayerMount m = LayerMount.open(new LayerIdentity(IMAGE, LOWER.toString()), blob, cache, ON_DEMAND);
                 SharedLibraries libraries = new SharedLibraries(images(Map.of(LOWER, m)))) {
                Entry tool = m.index().lookup("usr/bin/tool").orElseThrow();
                m.read(tool, 0, (int) tool.size());
                blob.batches.clear();

                libraries.opened(IMAGE, LOWER, "usr/bin/tool");

                assertEquals(List.of(), spansOf(blob), "batches after the script was opened");
            }
        }
    }

    @Test
    void theAccountFilesAreFetchedTogetherWhenTheTopLayerIsMounted() throws Exception {
        LayerBuilder lower = new LayerBuilder()
                .file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n")
                .file("etc/hostname", "not an account file")
                .file("etc/group", "root:x:0:\n");
        LayerBuilder upper = new LayerBuilder().file("app/main", "the program");
        try (ChunkCache cache = ChunkCache.open(ChunkCacheConfig.defaults(tmp.resolve("cache")))) {
            RecordingBlob lowerBlob = blob(lower, "lower");
            RecordingBlob upperBlob = blob(upper, "upper");
            try (LayerMount l = LayerMount.open(new LayerIdentity(IMAGE, LOWER.toString()), lowerBlob, cache, ON_DEMAND);
                 LayerMount u = LayerMount.open(new LayerIdentity(IMAGE, UPPER.toString()), upperBlob, cache,
                         ON_DEMAND)) {
                ImageLayers images = images(Map.of(LOWER, l, UPPER, u));
                assertTrue(images.isTop(IMAGE, UPPER), "the upper layer is the image's top");
                assertFalse(images.isTop(IMAGE, LOWER), "the lower layer is not");

                AccountFiles.fetch(IMAGE, images.mounts(IMAGE, UPPER, u));

                // one batch of both: reads that fetched them would have made one batch each
                List<Entry> files = entries(l, "etc/passwd", "etc/group");
                awaitFetched(l, files);
                assertEquals(List.of(spans(files)), spansOf(lowerBlob), "the lower layer's batches");
                assertEquals(List.of(), spansOf(upperBlob), "the upper layer's batches");
            }
        }
    }

    /** The layers of {@link #IMAGE}, lowest first, as its Prepares' labels name them, served by {@code mounts}. */
    private static ImageLayers images(Map<Digest, LayerMount> mounts) {
        ImageLayers images = new ImageLayers(mounts::get);
        images.image(IMAGE, mounts.containsKey(UPPER) ? List.of(LOWER, UPPER) : List.of(LOWER));
        return images;
    }

    private RecordingBlob blob(LayerBuilder layer, String name) throws IOException {
        Path path = tmp.resolve(name + ".esgz");
        try (OutputStream out = Files.newOutputStream(path)) {
            new LayerConverter(ConvertOptions.defaults()).convert(new ByteArrayInputStream(layer.tar()), out);
        }
        return new RecordingBlob(FileBlobSource.open(path));
    }

    private static List<Entry> entries(LayerMount m, String... paths) {
        List<Entry> out = new ArrayList<>();
        for (String p : paths) {
            out.add(m.index().lookup(p).orElseThrow());
        }
        return out;
    }

    /** Reads a byte of each file: waits for the fetch ahead that holds it, or fetches it (which the test sees). */
    private static void awaitFetched(LayerMount m, List<Entry> files) throws IOException {
        for (Entry e : files) {
            m.read(e, 0, 1);
        }
    }

    /** The blob ranges of the files' first chunks, as [offset, end) strings in order. */
    private static Set<String> spans(List<Entry> files) {
        Set<String> out = new TreeSet<>();
        for (Entry e : files) {
            out.add(e.chunks().get(0).blobOffset() + "-" + e.chunks().get(0).blobEnd());
        }
        return out;
    }

    private static List<Set<String>> spansOf(RecordingBlob blob) {
        List<Set<String>> out = new ArrayList<>();
        for (List<ByteRange> batch : List.copyOf(blob.batches)) {
            Set<String> s = new TreeSet<>();
            batch.forEach(r -> s.add(r.offset() + "-" + r.end()));
            out.add(s);
        }
        return out;
    }
}
