package io.jstargz.cli;

import io.jstargz.estargz.BlobFormat;
import io.jstargz.estargz.ConvertOptions;
import picocli.CommandLine.Option;

/** The options of {@code blob convert} and {@code image convert} that say how layers are written. */
final class FormatOptions {

    @Option(names = "--zstdchunked", description = "Write zstd:chunked (tar+zstd) instead of eStargz (tar+gzip), "
            + "as ctr-remote --zstdchunked does.")
    boolean zstdChunked;

    @Option(names = "--chunk-size", paramLabel = "N", converter = BlobConvertCommand.Sizes.class,
            description = "Largest chunk of a file in one compressed member, in bytes (suffixes K, M, G). "
                    + "Default: 4M.")
    int chunkSize = ConvertOptions.DEFAULT_CHUNK_SIZE;

    @Option(names = "--compression-level", paramLabel = "L", description = "gzip level, -1 or 0..9 (default 9); "
            + "with --zstdchunked a zstd level, 1..22 (default 3).")
    Integer compressionLevel;

    /** {@code base} with these options applied. */
    ConvertOptions apply(ConvertOptions base) {
        ConvertOptions o = base.withFormat(zstdChunked ? BlobFormat.ZSTD_CHUNKED : BlobFormat.ESTARGZ)
                .withChunkSize(chunkSize);
        return compressionLevel == null ? o : o.withCompressionLevel(compressionLevel);
    }
}
