package io.jstargz.fs;

import io.jstargz.estargz.ConvertOptions;
import io.jstargz.estargz.ConvertResult;
import io.jstargz.estargz.LayerConverter;
import io.jstargz.testing.LayerBuilder;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/** Generated eStargz layers with known contents. */
final class TestLayers {

    /**
     * A layer and the contents of its regular files.
     *
     * @param blob     the eStargz blob
     * @param result   what the converter reported (digests)
     * @param contents path (no leading slash) to content
     */
    record Layer(Path blob, ConvertResult result, Map<String, byte[]> contents) {
    }

    private TestLayers() {
    }

    /**
     * {@code files} files of random, partly compressible content, sizes up to {@code maxSize}, in 8 directories,
     * converted with {@code chunkSize} chunks and gzip level 1 (the tests need many chunks, not small blobs).
     */
    static Layer random(Path dir, int files, int maxSize, int chunkSize, long seed) throws IOException {
        Random random = new Random(seed);
        Map<String, byte[]> contents = new TreeMap<>();
        LayerBuilder b = new LayerBuilder();
        for (int i = 0; i < files; i++) {
            byte[] data = new byte[random.nextInt(maxSize + 1)];
            random.nextBytes(data);
            for (int j = 0; j < data.length; j += 2) {
                data[j] = (byte) (j % 7); // half the bytes compress, so spans and chunks differ in size
            }
            String path = "d" + (i % 8) + "/file-" + i + ".bin";
            contents.put(path, data);
            b.file(path, data, 0644);
        }
        return convert(dir, b, contents, chunkSize, List.of());
    }

    static Layer convert(Path dir, LayerBuilder layer, Map<String, byte[]> contents, int chunkSize,
                         List<String> prioritized) throws IOException {
        Files.createDirectories(dir);
        Path blob = Files.createTempFile(dir, "layer-", ".esgz");
        ConvertOptions options = ConvertOptions.defaults().withChunkSize(chunkSize).withCompressionLevel(1)
                .withPrioritizedFiles(prioritized).withTempDir(dir);
        ConvertResult result;
        try (OutputStream out = Files.newOutputStream(blob)) {
            result = new LayerConverter(options).convert(new ByteArrayInputStream(layer.tar()), out);
        }
        return new Layer(blob, result, contents);
    }
}
