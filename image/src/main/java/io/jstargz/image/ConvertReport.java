package io.jstargz.image;

import io.jstargz.remote.Digest;
import io.jstargz.remote.PushOutcome;
import io.jstargz.text.Sizes;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * The result of {@link ImageConverter#convert}.
 *
 * @param digest    the digest of the manifest or index written at the destination
 * @param mediaType its media type
 * @param images    per image manifest (platform)
 * @param elapsed   wall time of the whole conversion
 */
public record ConvertReport(String source, String destination, Digest digest, String mediaType,
                            List<ImageReport> images, Duration elapsed) {

    public ConvertReport {
        images = List.copyOf(images);
    }

    /** Every layer of every image. */
    public List<LayerReport> layers() {
        return images.stream().flatMap(i -> i.layers().stream()).toList();
    }

    public long count(LayerReport.Outcome outcome) {
        return layers().stream().filter(l -> l.outcome() == outcome).count();
    }

    /** Bytes of all layers before. */
    public long sizeBefore() {
        return layers().stream().mapToLong(l -> l.source().size()).sum();
    }

    /** Bytes of all layers after. */
    public long sizeAfter() {
        return layers().stream().mapToLong(l -> l.target().size()).sum();
    }

    /** Whether the destination got exactly the source's manifest: nothing needed converting. */
    public boolean unchanged() {
        return images.stream().allMatch(i -> i.sourceManifest().equals(i.manifest()));
    }

    /** One paragraph for the user. */
    public String summary() {
        long pushed = layers().stream().filter(l -> l.push() == PushOutcome.UPLOADED).count();
        long present = layers().stream().filter(l -> l.push() == PushOutcome.ALREADY_EXISTS).count();
        long mounted = layers().stream().filter(l -> l.push() == PushOutcome.MOUNTED).count();
        return String.format(Locale.ROOT, "%s -> %s (%s)%n  %d image%s, %d layer%s: %d converted, %d already "
                        + "eStargz%s; %s -> %s in %.1f s%n  blobs: %d written, %d already there, %d mounted",
                source, destination, digest, images.size(), images.size() == 1 ? "" : "s", layers().size(),
                layers().size() == 1 ? "" : "s", count(LayerReport.Outcome.CONVERTED),
                count(LayerReport.Outcome.REUSED),
                count(LayerReport.Outcome.KEPT) == 0 ? "" : ", " + count(LayerReport.Outcome.KEPT) + " kept",
                Sizes.human(sizeBefore()), Sizes.human(sizeAfter()), elapsed.toMillis() / 1000.0, pushed, present,
                mounted) + prioritization();
    }

    /** The summary's lines about prioritized files, if any were asked for. */
    private String prioritization() {
        long layersWith = layers().stream().filter(l -> !l.prioritized().isEmpty()).count();
        List<String> missed = layers().stream().flatMap(l -> l.missed().stream()).toList();
        List<String> unprovided = images.stream().flatMap(i -> i.unprioritized().stream()).distinct().toList();
        if (layersWith == 0 && unprovided.isEmpty()) {
            return "";
        }
        long placed = layers().stream().mapToLong(l -> l.prioritized().size() - l.missed().size()).sum();
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "%n  prioritized: %d file(s) first in %d "
                + "layer(s)", placed, layersWith));
        if (!missed.isEmpty()) {
            s.append(String.format(Locale.ROOT, "%n  not put first (a parent directory has no entry in the layer): "
                    + "%s", examples(missed)));
        }
        if (!unprovided.isEmpty()) {
            s.append(String.format(Locale.ROOT, "%n  in no layer: %s", examples(unprovided)));
        }
        return s.toString();
    }

    private static String examples(List<String> paths) {
        return paths.size() <= 5 ? paths.toString()
                : paths.subList(0, 5) + " and " + (paths.size() - 5) + " more";
    }
}
