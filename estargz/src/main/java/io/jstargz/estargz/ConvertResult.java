package io.jstargz.estargz;

import java.util.List;
import java.util.Map;

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
 * @param formatAnnotations      annotations the blob's format adds to the layer descriptor (zstd:chunked's
 *                               manifest checksum and position), beside the TOC digest and uncompressed size
 * @param externalToc            for {@link BlobFormat#ESTARGZ_EXTERNAL_TOC}, the TOC blob (a gzip member holding
 *                               the tar entry {@code stargz.index.json}) that goes into the TOC image; else null
 */
public record ConvertResult(String tocDigest, String diffId, String blobDigest, long size, long uncompressedSize,
                            List<String> missedPrioritizedFiles, Map<String, String> formatAnnotations,
                            byte[] externalToc) {

    public ConvertResult {
        missedPrioritizedFiles = List.copyOf(missedPrioritizedFiles);
        formatAnnotations = Map.copyOf(formatAnnotations);
    }
}
