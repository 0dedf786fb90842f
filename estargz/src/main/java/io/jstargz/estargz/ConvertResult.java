package io.jstargz.estargz;

import java.util.List;

/**
 * What a conversion produced; the digests are {@code sha256:<hex>}.
 *
 * @param tocDigest              digest of the TOC JSON: the {@code containerd.io/snapshot/stargz/toc.digest} annotation
 * @param diffId                 digest of the uncompressed blob: the layer's diffID in the image config
 * @param blobDigest             digest of the blob: the layer descriptor's digest
 * @param size                   size of the blob in bytes
 * @param uncompressedSize       size of the uncompressed blob: the {@code io.containers.estargz.uncompressed-size}
 *                               annotation
 * @param missedPrioritizedFiles prioritized paths that were not prioritized because they, a parent directory or a
 *                               hardlink target has no entry in the layer (the reference skips them the same way)
 */
public record ConvertResult(String tocDigest, String diffId, String blobDigest, long size, long uncompressedSize,
                            List<String> missedPrioritizedFiles) {

    public ConvertResult {
        missedPrioritizedFiles = List.copyOf(missedPrioritizedFiles);
    }
}
