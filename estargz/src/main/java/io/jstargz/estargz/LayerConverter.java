package io.jstargz.estargz;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * Converts a layer (tar, tar.gz or tar.zst) into a blob of the options' {@link BlobFormat} laid out exactly as the
 * reference converter lays it out (same entry order, tar headers, chunking, TOC and footer), compressing members in
 * parallel.
 *
 * <p>Memory stays bounded by the chunk/batch size times the parallelism, whatever the layer size: headers are kept,
 * data is not. Input that is not an uncompressed tar file is decompressed into a temporary file first (the reference
 * does the same), because prioritized files and duplicate entries mean the whole tar must be seen before writing.
 */
public final class LayerConverter {
    private final ConvertOptions options;

    public LayerConverter(ConvertOptions options) {
        this.options = options;
    }

    /** Converts a tar, tar.gz or tar.zst file; an uncompressed tar is read in place. The caller closes {@code out}. */
    public ConvertResult convert(Path layer, OutputStream out) throws IOException {
        try (SpooledTar tar = SpooledTar.read(layer, options.tempDir())) {
            return convert(tar, out);
        }
    }

    /** Converts a tar, tar.gz or tar.zst stream (detected by its magic). The caller closes both streams. */
    public ConvertResult convert(InputStream layer, OutputStream out) throws IOException {
        try (SpooledTar tar = SpooledTar.read(layer, options.tempDir())) {
            return convert(tar, out);
        }
    }

    private ConvertResult convert(SpooledTar tar, OutputStream out) throws IOException {
        EntryOrder.Result order = EntryOrder.order(tar.items(), options.prioritizedFiles());
        check(order.entries());
        return new BlobAssembler(tar, out, options).write(order.entries(), order.missed());
    }

    /** Refuses input whose blob our own reader would refuse: unsafe names, dangling hardlinks, files as parents. */
    private static void check(List<SpooledTar.Item> entries) throws InvalidLayerTarException {
        List<TocEntry> stubs = new ArrayList<>(entries.size());
        for (SpooledTar.Item item : entries) {
            TarHeader h = item.header();
            if (item.cleanName().equals(Landmarks.TOC_TAR_NAME)) {
                continue;
            }
            TocEntry.Builder b = TocEntry.builder(h.displayName(), BlobAssembler.tocType(h));
            b.linkName = h.typeflag == TarHeader.TYPE_LINK ? GoStrings.decode(h.linkname) : "";
            stubs.add(b.build());
        }
        try {
            IndexBuilder.checkTree(stubs, "(input)");
        } catch (InvalidBlobException e) {
            throw new InvalidLayerTarException("the layer cannot be converted: "
                    + e.getMessage().replace("layer (input): ", ""), e);
        }
    }

    /**
     * The normalised paths of a layer's entries (tar, tar.gz or tar.zst), as a TOC of it would name them: without
     * landmarks or an old TOC, later duplicates replacing earlier ones. Reads headers only; nothing is spooled.
     */
    public static List<String> listPaths(InputStream layer) throws IOException {
        LinkedHashMap<String, SpooledTar.Item> items = SpooledTar.index(new TarReader(LayerStreams.plainTar(layer)));
        List<String> paths = new ArrayList<>(items.size());
        for (SpooledTar.Item item : items.values()) {
            if (!item.cleanName().equals(Landmarks.TOC_TAR_NAME)) {
                paths.add(GoPaths.cleanEntryName(item.header().displayName()));
            }
        }
        return paths;
    }
}
