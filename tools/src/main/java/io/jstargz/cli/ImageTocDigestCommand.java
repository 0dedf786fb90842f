package io.jstargz.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jstargz.image.ImageSource;
import io.jstargz.image.LayerTocs;
import io.jstargz.image.LayerTocs.LayerToc;
import io.jstargz.remote.Platform;
import io.jstargz.remote.RegistryClient;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code jstargz image toc-digest REF}: the TOC digest of each layer. */
@Command(name = "toc-digest", mixinStandardHelpOptions = true,
        description = {"Print the TOC digest of each layer of an image: its containerd.io/snapshot/stargz/toc.digest "
            + "annotation, else the digest of the TOC its footer points to.",
            "One line per layer: platform, layer index, layer digest, TOC digest. A layer that is not eStargz is "
                    + "named on stderr and the exit code is 1."})
final class ImageTocDigestCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "REF", description = {"The image: docker://HOST/REPO:TAG or HOST/REPO:TAG, "
            + "oci:DIR[:TAG], docker-archive:FILE[:REF] or containerd:NAME."})
    String source;

    @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]", split = ",",
            description = "Platforms of a multi-platform image (repeat or separate with commas). Default: all.")
    List<String> platforms = new ArrayList<>();

    @Option(names = "--json", description = "Print one JSON array, an object per layer, instead of text.")
    boolean json;

    @Mixin
    LocationOptions locations;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        CommandLine cmd = spec.commandLine();
        List<Platform> selected;
        try {
            selected = platforms.stream().map(Platform::parse).toList();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cmd, e.getMessage());
        }
        var location = locations.location(cmd, source);
        List<LayerToc> layers;
        try (RegistryClient registry = locations.registry(); ImageSource src = location.openSource(registry)) {
            layers = LayerTocs.read(src, selected);
        }
        PrintWriter out = cmd.getOut();
        if (json) {
            out.println(new ObjectMapper().writeValueAsString(layers.stream().map(ImageTocDigestCommand::describe)
                    .toList()));
        } else {
            List<List<String>> rows = new ArrayList<>();
            rows.add(List.of("PLATFORM", "LAYER", "DIGEST", "TOC DIGEST"));
            for (LayerToc l : layers) {
                rows.add(List.of(l.platform(), Integer.toString(l.index()), l.layer().digest().toString(),
                        l.tocDigest() == null ? "-" : l.tocDigest()));
            }
            Table.print(out, rows);
        }
        int code = 0;
        for (LayerToc l : layers) {
            if (l.problem() != null) {
                cmd.getErr().println("jstargz: " + location + ": " + l.platform() + " layer " + l.index() + " "
                        + l.layer().digest() + " is " + l.problem());
                code = 1;
            }
        }
        return code;
    }

    private static Map<String, Object> describe(LayerToc l) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("platform", l.platform());
        m.put("index", l.index());
        m.put("digest", l.layer().digest().toString());
        m.put("mediaType", l.layer().mediaType());
        m.put("tocDigest", l.tocDigest());
        m.put("from", l.origin().name().toLowerCase(Locale.ROOT));
        if (l.problem() != null) {
            m.put("problem", l.problem());
        }
        return m;
    }
}
