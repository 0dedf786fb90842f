package io.jstargz.remote;

/**
 * An image resolved for one platform: its reference pinned to the platform's manifest digest, that manifest, and
 * the index it was selected from (when the reference named an index).
 *
 * @param reference   the reference as asked, pinned to the image manifest's digest
 * @param manifest    the image manifest (layers, config)
 * @param descriptor  a descriptor of the image manifest
 * @param indexDigest the digest of the index or manifest list the tag pointed to, or {@code null}
 */
public record ResolvedImage(ImageReference reference, ImageManifest manifest, Descriptor descriptor,
                            Digest indexDigest) {
}
