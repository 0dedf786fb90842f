package io.jstargz.remote;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * An OCI content descriptor: what a manifest says about a layer, a config or a child manifest.
 *
 * @param urls        alternative download locations (foreign layers); empty when absent
 * @param annotations e.g. {@code containerd.io/snapshot/stargz/toc.digest}; empty when absent
 * @param platform    set on the entries of an index, else {@code null}
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record Descriptor(String mediaType, Digest digest, long size, List<String> urls,
                         Map<String, String> annotations, Platform platform) {

    public Descriptor {
        if (digest == null) {
            throw new IllegalArgumentException("descriptor without a digest");
        }
        if (size < 0) {
            throw new IllegalArgumentException("descriptor " + digest + " has a negative size " + size);
        }
        urls = urls == null ? List.of() : List.copyOf(urls);
        annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
    }

    /** A descriptor without urls, annotations or platform. */
    public static Descriptor of(String mediaType, Digest digest, long size) {
        return new Descriptor(mediaType, digest, size, List.of(), Map.of(), null);
    }

    /** The annotation's value, or {@code null}. */
    public String annotation(String key) {
        return annotations.get(key);
    }
}
