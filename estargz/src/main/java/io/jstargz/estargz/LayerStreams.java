package io.jstargz.estargz;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/** Layer streams as converters take them: a tar, a tar.gz or a tar.zst, told apart by their first bytes. */
public final class LayerStreams {
    private static final int ZSTD_MAGIC = 0xFD2FB528;
    /** Skippable frames have magics 0x184D2A50 to 0x184D2A5F. */
    private static final int SKIPPABLE_MAGIC_MASK = 0xFFFFFFF0;
    private static final int SKIPPABLE_MAGIC = 0x184D2A50;

    private LayerStreams() {
    }

    /** What a stream's first bytes say it is. */
    enum Kind { TAR, GZIP, ZSTD }

    /** The kind of {@code in}, which must support mark and reset; nothing is consumed. */
    static Kind kind(InputStream in) throws IOException {
        in.mark(4);
        byte[] magic = in.readNBytes(4);
        in.reset();
        if (magic.length >= 3 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b && magic[2] == 8) {
            return Kind.GZIP;
        }
        if (magic.length == 4) {
            int le = (magic[0] & 0xff) | (magic[1] & 0xff) << 8 | (magic[2] & 0xff) << 16 | (magic[3] & 0xff) << 24;
            if (le == ZSTD_MAGIC || (le & SKIPPABLE_MAGIC_MASK) == SKIPPABLE_MAGIC) {
                return Kind.ZSTD;
            }
        }
        return Kind.TAR;
    }

    /** The uncompressed tar of a tar, tar.gz (all members) or tar.zst (all frames, skippable ones skipped). */
    public static InputStream plainTar(InputStream in) throws IOException {
        InputStream marked = in.markSupported() ? in : new BufferedInputStream(in, 1 << 16);
        return switch (kind(marked)) {
            case GZIP -> new GzipCompressorInputStream(marked, true);
            case ZSTD -> new ZstdInputStreamNoFinalizer(marked);
            case TAR -> marked;
        };
    }
}
