package io.jstargz.snapshotter.lazy;

import io.jstargz.estargz.BlobSource;
import io.jstargz.estargz.Footer;
import io.jstargz.estargz.LayerIndex;
import io.jstargz.estargz.OpenOptions;
import java.io.IOException;
import java.util.Arrays;

/**
 * The end of a layer blob, kept locally: the TOC and the footer, {@code [offset, blobSize)}. Enough to open the
 * layer's index again without the registry (after a restart, for a second mount of the same layer).
 *
 * @param blobSize the blob's size in bytes
 * @param offset   where the kept bytes start in the blob
 * @param bytes    the blob's bytes {@code [offset, blobSize)}
 */
record LayerTail(long blobSize, long offset, byte[] bytes) {

    LayerTail {
        if (offset < 0 || blobSize - offset != bytes.length) {
            throw new IllegalArgumentException("a tail of " + bytes.length + " bytes at " + offset
                    + " does not end a blob of " + blobSize + " bytes");
        }
    }

    /**
     * The part of this tail that a later open needs: from the TOC (or the largest footer) to the end; only the footer
     * for a layer whose TOC is external (a later open fetches it again).
     */
    LayerTail tocOnly(LayerIndex index) {
        long toc = index.tocOffset() == Footer.EXTERNAL ? blobSize - index.format().footerSize() : index.tocOffset();
        long from = Math.max(offset, Math.min(toc, blobSize - Footer.MAX_SIZE));
        return new LayerTail(blobSize, from, Arrays.copyOfRange(bytes, (int) (from - offset), bytes.length));
    }

    /** How to open the index from {@link #source}: one read of exactly these bytes. */
    OpenOptions openOptions(String layer) {
        return OpenOptions.defaults(layer).withTailSize(Math.max(Footer.MAX_SIZE, bytes.length));
    }

    /** The blob as far as this tail knows it: reads outside the kept bytes fail (nothing goes to the network). */
    BlobSource source(String layer) {
        return new BlobSource() {
            @Override
            public long size() {
                return blobSize;
            }

            @Override
            public byte[] read(long at, int length) throws IOException {
                if (at < offset || at + length > blobSize) {
                    throw new IOException("layer " + layer + ": bytes [" + at + ", " + (at + length)
                            + ") are not in its local tail [" + offset + ", " + blobSize + ")");
                }
                int from = (int) (at - offset);
                return Arrays.copyOfRange(bytes, from, from + length);
            }
        };
    }
}
