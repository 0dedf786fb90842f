package io.jstargz.cli;

import io.jstargz.estargz.BlobFormat;
import io.jstargz.estargz.ConvertOptions;
import picocli.CommandLine.Option;

/** The options of {@code blob convert} and {@code image convert} that say how layers are written. */
final class FormatOptions {

    @Option(names = "--zstdchunked", description = "Write zstd:chunked (tar+zstd) instead of eStargz (tar+gzip), "
            + "as ctr-remote --zstdchunked does.")
    boolean zstdChunked;

    @Option(names = "--external-toc", description = "Keep the TOC out of each layer (eStargz only): image convert "
            + "pushes the TOCs as an image beside the image, tagged TAG-esgztoc, as ctr-remote "
            + "--estargz-external-toc does; blob convert writes it to OUT.toc.")
    boolean externalToc;

    @Option(names = "--chunk-size", paramLabel = "N", converter = BlobConvertCommand.Sizes.class,
            description = "Largest chunk of a file in one compressed member, in bytes (suffixes K, M, G); 0 is the "
                    + "default, as for ctr-remote. Default: 4M.")
    int chunkSize;

    @Option(names = "--min-chunk-size", paramLabel = "N", converter = BlobConvertCommand.Sizes.class,
            description = {"Pack small files: the next chunk starts a new compressed member only once the open one "
                + "holds N compressed bytes (ctr-remote's --estargz-min-chunk-size). Readers older than "
                + "stargz-snapshotter 0.13 cannot read such layers. Default: 0, off."})
    int minChunkSize;

    @Option(names = "--compression-level", paramLabel = "L", description = "gzip level, -1 or 0..9 (default 9); "
            + "with --zstdchunked a zstd level, 1..22 (default 3).")
    Integer compressionLevel;

    /** {@code base} with these options applied. */
    ConvertOptions apply(ConvertOptions base) {
        if (zstdChunked && externalToc) {
            throw new IllegalArgumentException("--external-toc is for eStargz, not with --zstdchunked");
        }
        BlobFormat format = zstdChunked ? BlobFormat.ZSTD_CHUNKED
                : externalToc ? BlobFormat.ESTARGZ_EXTERNAL_TOC : BlobFormat.ESTARGZ;
        ConvertOptions o = base.withFormat(format)
                .withChunkSize(chunkSize == 0 ? ConvertOptions.DEFAULT_CHUNK_SIZE : chunkSize)
                .withMinChunkSize(minChunkSize);
        return compressionLevel == null ? o : o.withCompressionLevel(compressionLevel);
    }
}
