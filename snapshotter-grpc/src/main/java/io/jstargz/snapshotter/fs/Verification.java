package io.jstargz.snapshotter.fs;

import io.jstargz.snapshotter.snapshot.LayerSource;
import java.util.Map;

/**
 * Which layers may be mounted: a layer's TOC must match the digest its image's manifest gives
 * ({@code containerd.io/snapshot/stargz/toc.digest}), or the user asked to skip that check with the
 * {@code stargz.skipverify} label and the configuration allows it ({@code allow_no_verification}).
 */
record Verification(boolean allowNoVerification) {
    static final String SKIP_VERIFY = "containerd.io/snapshot/remote/stargz.skipverify";

    /** Why a layer with these Prepare labels must not be mounted lazily, or null when it may be. */
    String refusal(Map<String, String> labels) {
        if (labels.containsKey(LayerSource.TOC_DIGEST)) {
            return null;
        }
        if (labels.containsKey(SKIP_VERIFY)) {
            return allowNoVerification ? null : "it has no TOC digest, and skipping verification"
                    + " (stargz.skipverify) is not allowed: allow_no_verification = false";
        }
        return "it has no TOC digest annotation (" + LayerSource.TOC_DIGEST + "): not an eStargz layer";
    }
}
