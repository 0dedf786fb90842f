package io.jstargz.image;

import io.jstargz.remote.Descriptor;
import io.jstargz.remote.PushOutcome;
import java.util.List;

/**
 * What happened to one layer.
 *
 * @param source      the layer as it was
 * @param target      the layer as the new manifest describes it
 * @param diffId      the new diffID ({@code sha256:…}), or {@code null} when the content did not change
 * @param outcome     converted, reused or kept
 * @param push        how the blob came to be at the destination, or {@code null} when it was not copied
 * @param prioritized the files put ahead of the layer's {@code .prefetch.landmark}
 * @param missed      prioritized paths the layer has but could not put first (e.g. a parent directory without an
 *                    entry in the layer)
 * @param externalToc the layer's TOC blob, for the TOC image, when converted with an external TOC; else null
 */
public record LayerReport(Descriptor source, Descriptor target, String diffId, Outcome outcome, PushOutcome push,
                          List<String> prioritized, List<String> missed, byte[] externalToc) {

    /** What the converter did with a layer. */
    public enum Outcome {
        /** Rewritten in the target format. */
        CONVERTED,
        /** Already in the target format (its TOC verifies against its annotation), kept as it was. */
        REUSED,
        /** A non-distributable (foreign) layer, kept as it was and not copied. */
        KEPT
    }

    public LayerReport {
        prioritized = List.copyOf(prioritized);
        missed = List.copyOf(missed);
    }
}
