package io.jstargz.estargz;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import com.github.luben.zstd.ZstdInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/** Helpers to look inside blobs in tests. */
final class Blobs {
    private Blobs() {
    }

    /** The whole blob decompressed, every gzip member in turn. */
    static byte[] gunzip(byte[] blob) throws IOException {
        try (GzipCompressorInputStream in = new GzipCompressorInputStream(new ByteArrayInputStream(blob), true)) {
            return in.readAllBytes();
        }
    }

    /** The whole zstd:chunked blob decompressed, as any zstd reader sees it (skippable frames skipped). */
    static byte[] unzstd(byte[] blob) throws IOException {
        try (ZstdInputStream in = new ZstdInputStream(new ByteArrayInputStream(blob))) {
            return in.readAllBytes();
        }
    }

    /** The TOC entries of a blob, parsed with our parser. */
    static List<TocEntry> toc(byte[] blob) throws IOException {
        return TocJsonParser.parse(tocJson(blob), "blob");
    }

    /** The TOC JSON of a blob. */
    static byte[] tocJson(byte[] blob) throws IOException {
        LayerIndex index = EstargzReader.open(new TestData.CountingSource(blob), OpenOptions.defaults("blob"));
        Footer footer = Footer.parse(blob, 0, blob.length, blob.length, "blob");
        try (TocStream toc = index.format().openToc(blob, (int) index.tocOffset(), footer,
                OpenOptions.defaults("blob"))) {
            byte[] json = toc.readAllBytes();
            toc.finish();
            return json;
        }
    }

    /**
     * TOC entries as JSON lines, with compressed offsets and inner offsets zeroed: what must equal between two
     * writers (where files are packed depends on compressed sizes too).
     */
    static List<String> tocWithoutOffsets(byte[] blob) throws IOException {
        List<String> out = new ArrayList<>();
        for (TocEntry e : toc(blob)) {
            TocEntry.Builder b = e.toBuilder();
            b.offset = 0;
            b.innerOffset = 0;
            out.add(new String(TocJsonWriter.write(List.of(b.build())), java.nio.charset.StandardCharsets.UTF_8)
                    .replaceAll("\\s+", " "));
        }
        return out;
    }

    /**
     * The uncompressed stream without the TOC tar entry and end-of-archive blocks at its end (a zstd:chunked or
     * external-TOC blob's whole stream: it has neither).
     */
    static byte[] payloadTar(byte[] blob) throws IOException {
        BlobFormat format = Footer.parse(blob, 0, blob.length, blob.length, "blob").format();
        if (format == BlobFormat.ZSTD_CHUNKED) {
            return unzstd(blob);
        }
        if (format == BlobFormat.ESTARGZ_EXTERNAL_TOC) {
            return gunzip(blob);
        }
        byte[] all = gunzip(blob);
        int json = tocJson(blob).length;
        int tocEntry = 512 + ((json + 511) & ~511) + 1024;
        return java.util.Arrays.copyOf(all, all.length - tocEntry);
    }
}
